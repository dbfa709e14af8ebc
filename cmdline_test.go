package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestFlagsOfMatchesKong holds the shape read from the tags to kong's own model: the
// same flags in the same order, with the same names, short letters, values and
// negation, in every grammar.
func TestFlagsOfMatchesKong(t *testing.T) {
	for _, g := range grammars {
		t.Run(g.name, func(t *testing.T) {
			is := is.New(t)
			target := g.target()
			parser, _, ok := newParser(target, g.name, "", env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
			is.True(ok)
			var flags flagSet
			for _, f := range flagsOf(reflect.TypeOf(target).Elem()) {
				if !f.positional {
					flags = append(flags, f)
				}
			}
			var model []string
			for _, f := range parser.Model.Flags {
				if f.Name != "help" { // kong's own
					model = append(model, f.Name)
				}
			}
			is.Equal(len(flags), len(model)) // one flag for each of kong's
			for i, f := range parser.Model.Flags[1:] {
				s := flags[i]
				is.Equal(s.name, f.Name)                                                                                   // the name
				is.Equal(s.short, f.Short)                                                                                 // the short letter
				is.Equal(s.value, !f.IsBool() && !f.IsCounter())                                                           // whether it takes a value
				is.Equal(s.negatable, f.Tag.Negatable != "")                                                               // --no-NAME
				is.Equal(reflect.ValueOf(target).Elem().FieldByIndex(s.index).Addr().Pointer(), f.Target.Addr().Pointer()) // the field
			}
		})
	}
}

// checkNamedModelMatchesWhole parses args with parseInto (parseDirect, else kong's
// model of the named flags), with kong's model of the named flags alone and with kong's
// whole model, and fails unless all leave the same target, exit code and words. A curl
// command line is checked also as run parses it: its flags, without the URLs splitURLs
// takes out (most lines parseDirect takes are those).
func checkNamedModelMatchesWhole(t *testing.T, args []string) {
	t.Helper()
	g, rest := grammarFor(args)
	checkModels(t, g, rest)
	if g.name == "kcurl" {
		if flags, urls := splitURLs(cliFlags, rest); len(urls) > 0 {
			checkModels(t, g, flags)
		}
	}
}

func checkModels(t *testing.T, g grammar, rest []string) {
	t.Helper()
	type result struct {
		target any
		code   int
		done   bool
		out    string
	}
	named := result{target: g.target()}
	var out bytes.Buffer
	e := env{stdout: &out, stderr: &out}
	named.code, named.done = parseInto(named.target, g.name, "description", rest, e)
	named.out = out.String()
	// parseInto takes a line parseDirect can store without kong: kong's model of the
	// named fields must give the same.
	small := result{target: g.target()}
	out.Reset()
	small.code, small.done = parseWithKong(small.target, flagsOf(reflect.TypeOf(small.target).Elem()), g.name, "description", rest, e)
	small.out = out.String()
	if !reflect.DeepEqual(named, small) {
		t.Fatalf("%s %q:\nparseInto:         %+v\nkong, named flags: %+v", g.name, rest, named, small)
	}
	whole := result{target: g.target()}
	out.Reset()
	parser, _, ok := newParser(whole.target, g.name, "description", e)
	if !ok {
		t.Fatalf("newParser failed for %s", g.name)
	}
	whole.code, whole.done = parse(parser, rest, e)
	whole.out = out.String()
	if !reflect.DeepEqual(named, whole) {
		t.Fatalf("%s %q:\nnamed flags: %+v\nwhole model: %+v", g.name, rest, named, whole)
	}
}

// TestNamedModelMatchesWhole runs every flag of every grammar, in each of its forms,
// through both models.
func TestNamedModelMatchesWhole(t *testing.T) {
	lines := [][]string{
		{"/api"}, {"-sS", "-X", "POST", "-d", "{}"}, {"--help"}, {"-h"}, {"-V"}, {"--frobnicate"}, {"-d"},
		{"--max-time", "-1"}, {"-H", "A: b", "-H", "C: d", "-o", "/dev/null"}, {"--table=wide"}, {"--table"},
		{"--", "-x"}, {"-#", "--json", "[1]"}, {"--help", "--frobnicate"}, {"--frobnicate", "--help"}, {"-sé", "-h"}, {"-sSfL"}, {"-XPOST"}, {"-sX"},
		{"--http1.1", "--http2", "--http1.0"}, {"-m", "abc"}, {"-m", "1", "-m", "2"}, {"--no-silent", "-s"},
		{"-é"}, {"--no-frobnicate"}, {"--no-"}, {"-"}, {"--="}, {"-:"}, {"--verbose=false"}, {"-o"},
		{"whoami"}, {"whoami", "--format", "json"}, {"whoami", "--format", "xml"}, {"whoami", "--help"}, {"whoami", "extra"},
		{"can-i"}, {"can-i", "get", "pods"}, {"can-i", "get", "pods", "p1", "--subresource", "log"}, {"can-i", "--all"},
		{"can-i", "a", "b", "c", "d"}, {"can-i", "-h"},
		{"wait"}, {"wait", "/api/v1/pods"}, {"wait", "--for=delete", "--timeout", "-1s", "/x"}, {"wait", "--for", "jsonpath={.a}=b", "/x", "/y"},
		{"completion"}, {"completion", "bash"}, {"completion", "tcsh"}, {"completion", "zsh", "fish"}, {"completion", "--help"},
	}
	for _, g := range grammars {
		var sub []string
		if g.name != "kcurl" {
			sub = []string{strings.TrimPrefix(g.name, "kcurl ")}
		}
		for _, f := range flagsOf(reflect.TypeOf(g.target()).Elem()) {
			if f.positional {
				continue
			}
			forms := [][]string{{"--" + f.name}, {"--" + f.name, "1"}, {"--" + f.name + "=x"}, {"--no-" + f.name}, {"--" + f.name, "-v"}}
			if f.short != 0 {
				forms = append(forms, []string{"-" + string(f.short)}, []string{"-" + string(f.short) + "2"}, []string{"-s" + string(f.short), "3"})
			}
			for _, form := range forms {
				lines = append(lines, append(append(append([]string{}, sub...), form...), "/x"))
			}
		}
	}
	for _, args := range lines {
		t.Run(strings.Join(args, " "), func(t *testing.T) { checkNamedModelMatchesWhole(t, args) })
	}
}

// TestParseDirect is which command lines parseDirect stores without kong, and what it
// stores; the rest it leaves untouched, for kong.
func TestParseDirect(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want bool
		// check looks at what was stored, when want.
		check func(c *cli) bool
		// unknown is the flag told as unknown without kong.
		unknown string
	}{
		{"a probe", []string{"-sf"}, true, func(c *cli) bool { return c.Silent && c.Fail && c.MaxRedirs == 50 && c.ParallelMax == 50 }, ""},
		{"nothing but the URL, taken out before", nil, true, func(c *cli) bool { return !c.Silent && c.MaxRedirs == 50 }, ""},
		{"--version", []string{"--version"}, true, func(c *cli) bool { return c.Version }, ""},
		{"a value in the next argument", []string{"-w", "%{http_code}", "-e", "-"}, true, func(c *cli) bool { return c.WriteOut == "%{http_code}" && c.Referer == "-" }, ""},
		{"-o: a type of kcurl's", []string{"-o", "/dev/null"}, false, nil, ""},
		{"a value in the bundle", []string{"-sXPOST"}, true, func(c *cli) bool { return c.Silent && c.Request == "POST" }, ""},
		{"a value after the bundle", []string{"-sX", "PUT"}, true, func(c *cli) bool { return c.Silent && c.Request == "PUT" }, ""},
		{"--name=value", []string{"--request=GET"}, true, func(c *cli) bool { return c.Request == "GET" }, ""},
		{"a string's value that reads as a flag", []string{"-X", "-v"}, true, func(c *cli) bool { return c.Request == "-v" }, ""},
		{"a []string's value that reads as a flag: kong's error", []string{"-H", "--help"}, false, nil, ""},
		{"headers append", []string{"-H", "A: 1", "--header", "B: 2"}, true, func(c *cli) bool { return slices.Equal(c.Header, []string{"A: 1", "B: 2"}) }, ""},
		{"the last string wins", []string{"-X", "A", "-X", "B"}, true, func(c *cli) bool { return c.Request == "B" }, ""},
		{"--no- form", []string{"-G", "--no-get"}, true, func(c *cli) bool { return !c.Get }, ""},
		{"a value kong maps", []string{"-m", "1"}, false, nil, ""},
		{"a number", []string{"--retry", "3"}, false, nil, ""},
		{"a default's flag given", []string{"--max-redirs", "3"}, false, nil, ""},
		{"lastwins flags", []string{"--http1.1"}, false, nil, ""},
		{"a bool given a value", []string{"--silent=true"}, false, nil, ""},
		{"an empty value after =", []string{"--request="}, false, nil, ""},
		{"= in a bundle", []string{"-X=POST"}, false, nil, ""},
		{"a missing value", []string{"-s", "-o"}, false, nil, ""},
		{"-- as the value", []string{"-o", "--"}, false, nil, ""},
		{"positionals after --", []string{"--", "-x"}, false, nil, ""},
		{"a positional", []string{"/api"}, false, nil, ""},
		{"--help", []string{"-s", "--help"}, false, nil, ""},
		{"-h", []string{"-h"}, false, nil, ""},
		{"an unknown flag", []string{"--frobnicate"}, false, nil, "--frobnicate"},
		{"an unknown flag with a value", []string{"-s", "--frobnicate=1", "--help"}, false, nil, "--frobnicate"},
		{"an unknown letter in a bundle", []string{"-sW"}, false, nil, "-W"},
		{"--no- of a flag without it", []string{"--no-request"}, false, nil, "--no-request"},
		{"an unknown flag after one kong maps: kong's words", []string{"-m", "x", "--frobnicate"}, false, nil, ""},
		{"a letter kong splits by bytes", []string{"-sé"}, false, nil, ""},
		{"a name flagInError would cut", []string{"--a b"}, false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var c cli
			got, unknown := parseDirect(reflect.ValueOf(&c).Elem(), cliFlags, tc.args)
			is.Equal(got, tc.want)        // whether the line is stored without kong
			is.Equal(unknown, tc.unknown) // the unknown flag kong would name
			if !got {
				is.True(reflect.ValueOf(c).IsZero()) // nothing stored for kong to find
				return
			}
			is.True(tc.check(&c)) // what was stored
		})
	}
}

// TestNamed is which fields a command line names: those kong's small model is built of,
// or false where only the whole model can answer.
func TestNamed(t *testing.T) {
	set := flagsOf(reflect.TypeFor[cli]())
	for _, tc := range []struct {
		name string
		args []string
		want []string // the flags named, besides the positionals and defaults; nil: the whole model (--help)
	}{
		{"one short flag", []string{"-s"}, []string{"silent"}},
		{"a bundle with a value after it", []string{"-sX", "POST"}, []string{"silent", "request"}},
		{"a value in the bundle", []string{"-XPOST", "-s"}, []string{"request", "silent"}},
		{"a value that reads as a flag", []string{"-H", "--help"}, []string{"header"}},
		{"--name=value", []string{"--max-time=1"}, []string{"max-time"}},
		{"--no- form", []string{"--no-silent"}, []string{"silent"}},
		{"positionals after --", []string{"--", "--frobnicate"}, []string{}},
		{"--help is kong's own", []string{"--help"}, nil},
		{"-h is kong's own", []string{"-s", "-h"}, nil},
		{"an unknown flag: kong says so", []string{"-s", "--frobnicate", "-X", "GET"}, []string{"silent"}},
		{"an unknown letter in a bundle", []string{"-sé"}, []string{"silent"}},
		{"--no- of a flag that is not negatable", []string{"--no-request"}, []string{}},
		{"--help after an unknown flag", []string{"--frobnicate", "--help"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			use, ok := set.named(tc.args)
			is.Equal(ok, tc.want != nil) // whether the named model can parse it
			if !ok {
				return
			}
			got := []string{}
			for i, f := range set {
				if use[i] && !f.always {
					got = append(got, f.name)
				}
			}
			slices.Sort(got)
			want := append([]string{}, tc.want...)
			slices.Sort(want)
			is.Equal(got, want) // the flags named
			for i, f := range set {
				is.True(!f.always || use[i]) // positionals and defaults are always in
			}
		})
	}
}

// FuzzFlagInError holds the scan that finds the flag in a kong error to the regular
// expression it replaced.
func FuzzFlagInError(f *testing.F) {
	re := regexp.MustCompile(`(?:^|\s)(--?[A-Za-z0-9#][\w.#-]*)`)
	for _, s := range []string{
		"unknown flag --bogus, did you mean one of \"--b\"?", "-é", "flag -H: missing value", "--max-time=SECONDS: bad",
		"expected \"<url>\"", "x --a.b_c#d-e=f", "-", "--", "a-b -c", "\t-x", "--#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		want := ""
		if m := re.FindStringSubmatch(msg); m != nil {
			want = m[1]
		}
		if got := flagInError(msg); got != want {
			t.Fatalf("flagInError(%q) = %q, the regexp finds %q", msg, got, want)
		}
	})
}

// kindNames are the flagKind constants as flagtable.go spells them.
var kindNames = map[flagKind]string{kindOther: "kindOther", kindBool: "kindBool", kindString: "kindString", kindStrings: "kindStrings", kindInt: "kindInt"}

var updateFlagTable = flag.Bool("update", false, "rewrite flagtable.go from the cli struct's tags")

// TestFlagTable holds flagtable.go to the cli struct: the table kcurl reads at run time
// is what flagsOf reads from the tags by reflection. Run with -update (go generate)
// after a change to cli's fields.
func TestFlagTable(t *testing.T) {
	want := flagsOf(reflect.TypeFor[cli]())
	var b strings.Builder
	b.WriteString("// Code generated by go test -run TestFlagTable -update; DO NOT EDIT.\n\npackage main\n\n")
	b.WriteString("// cliFlagTable is flagsOf(reflect.TypeFor[cli]()).\nvar cliFlagTable = flagSet{\n")
	for _, f := range want {
		fields := []string{fmt.Sprintf("name: %q", f.name)}
		add := func(set bool, format string, v any) {
			if set {
				fields = append(fields, fmt.Sprintf(format, v))
			}
		}
		add(f.short != 0, "short: %q", f.short)
		add(f.value, "value: %t", f.value)
		add(f.negatable, "negatable: %t", f.negatable)
		add(f.positional, "positional: %t", f.positional)
		add(f.always, "always: %t", f.always)
		add(true, "index: %#v", f.index)
		add(f.kind != kindOther, "kind: %s", kindNames[f.kind])
		add(f.def != "", "def: %q", f.def)
		add(f.optional, "optional: %t", f.optional)
		fmt.Fprintf(&b, "\t{%s},\n", strings.Join(fields, ", "))
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if *updateFlagTable {
		if err := os.WriteFile("flagtable.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
		return // this binary holds the table as it was; the next run checks the new one
	}
	if !reflect.DeepEqual(cliFlags, want) {
		t.Fatalf("flagtable.go is stale: run go generate (go test -run TestFlagTable -update)")
	}
	if got, err := os.ReadFile("flagtable.go"); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("flagtable.go differs from what -update writes: run go generate")
	}
}
