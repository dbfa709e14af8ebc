// Command empty does nothing. Built static and stripped like the rest, its run is exec, the Go runtime's start and
// exit: what every Go binary the benchmark times pays before its first package initialiser.
package main

func main() {}
