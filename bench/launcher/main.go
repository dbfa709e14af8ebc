// Command launcher runs one program and writes what it cost to fd 3 as "wall_ns maxrss_kib cpu_ns minflt": wall
// time, peak RSS, CPU time (user and system, all threads) and minor page faults, the last three from wait4.
//
// It exists because Linux carries a process's ru_maxrss across exec from the memory it had before: a child that
// the benchmark (tens of MiB, holding the test bodies) starts directly reports at least the benchmark's own RSS.
// Started from this small process instead, a program's peak RSS is its own whenever it exceeds the launcher's,
// which the report measures with /bin/true and prints as the floor.
//
//	launcher PROGRAM [ARG …]  3>report
package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	report := os.NewFile(3, "report")
	if len(os.Args) < 2 || report == nil {
		os.Stderr.WriteString("usage: launcher PROGRAM [ARG …] 3>report\n")
		os.Exit(2)
	}
	attr := &os.ProcAttr{Env: os.Environ(), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}}
	start := time.Now()
	p, err := os.StartProcess(os.Args[1], os.Args[1:], attr)
	if err != nil {
		os.Stderr.WriteString("launcher: " + err.Error() + "\n")
		os.Exit(127)
	}
	st, err := p.Wait()
	wall := time.Since(start)
	if err != nil {
		os.Stderr.WriteString("launcher: " + err.Error() + "\n")
		os.Exit(127)
	}
	var rss, cpu, minflt int64
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		rss, cpu, minflt = ru.Maxrss, ru.Utime.Nano()+ru.Stime.Nano(), ru.Minflt
	}
	report.WriteString(strconv.FormatInt(int64(wall), 10) + " " + strconv.FormatInt(rss, 10) + " " +
		strconv.FormatInt(cpu, 10) + " " + strconv.FormatInt(minflt, 10) + "\n")
	report.Close()
	os.Exit(st.ExitCode())
}
