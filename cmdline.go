package main

// The command line's shape, a line of plain flags stored without kong, and kong's model
// of only the flags a command line names.
//
// kong.New reads every field's tags and builds a flag for each, about 25 allocations a
// field: with kcurl's 170 flags that was 1.3 ms, a fifth of a whole GET, at every start
// (issue 15). What a run needs before kong parses (which argument is a flag, which flag
// takes a value, where the URLs and --next stand) is read from the struct tags (for the
// curl grammar at build time: flagtable.go). A line of plain flags (bools, strings) is
// stored from that shape alone (parseDirect); any other gets kong's model built over the
// fields the line names plus the positionals and the flags with a default. The whole
// model is built only when it is needed: for --help, an argument no field names, a parse
// error (so that kong's words and suggestions are the ones a whole model gives) and
// completion. TestNamedModelMatchesWhole and FuzzParseArgs hold all three to the same
// result.

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/alecthomas/kong"
)

// flagSpec is one field of a command-line struct as the shape of a command line needs it.
type flagSpec struct {
	name       string
	short      rune
	value      bool // the flag takes a value (it is not a bool)
	negatable  bool // --no-NAME sets it false
	positional bool
	// always is a positional or a flag with a default: in every model, so kong fills it.
	always bool
	// index is the field's place in the struct, through embedded structs.
	index []int
	// kind is how kong stores the field's value, where parseDirect can store it the same way.
	kind flagKind
	// def is the default tag's text, for a flag that has one.
	def string
	// optional is a positional kong does not require.
	optional bool
}

// flagKind is how a field's value is stored, for the fields parseDirect sets without kong.
type flagKind uint8

const (
	// kindOther is left to kong: a type of kcurl's with a mapper of its own, a counter,
	// an enum, a number or size given on the command line, a field with type:"…".
	kindOther flagKind = iota
	kindBool
	kindString
	// kindStrings is a []string with sep:"none": each use appends one value.
	kindStrings
	// kindInt is an int: parseDirect sets only its default, never a value given to it.
	kindInt
)

// flagSet is a command-line struct's fields in kong's order.
type flagSet []flagSpec

// boolMapper is kong's test for a flag without a value besides a bool field.
var boolMapper = reflect.TypeFor[interface{ IsBool() bool }]()

// flagsOf reads the flags of a command-line struct type as kong names them: the name
// tag, else the field's name in lower case (TestFlagsOfMatchesKong holds the two to it).
func flagsOf(t reflect.Type) flagSet { return appendFlags(nil, t, nil) }

// cliFlags is flagsOf(cli), read once at build time: at run time, reading 130 fields'
// tags and asking of each field's type whether its pointer is a bool mapper (which
// searches the binary's type links) was half of BenchmarkVersion (91 → 45 µs, 175
// allocations fewer; issue 15). TestFlagTable fails when it is stale and rewrites it
// under -update.
//
//go:generate go test -run TestFlagTable -update
var cliFlags = cliFlagTable

func appendFlags(set flagSet, t reflect.Type, parent []int) flagSet {
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(slices.Clip(parent), i)
		tag := readTag(f.Tag)
		if tag.embed || f.Anonymous {
			set = appendFlags(set, f.Type, index)
			continue
		}
		if !f.IsExported() || tag.ignored {
			continue
		}
		spec := flagSpec{name: tag.name, short: tag.short, negatable: tag.negatable, positional: tag.arg, index: index}
		if spec.name == "" {
			spec.name = strings.ToLower(f.Name)
		}
		spec.always = tag.arg || tag.hasDefault
		spec.value = f.Type.Kind() != reflect.Bool && !reflect.PointerTo(f.Type).Implements(boolMapper) && !tag.counter
		spec.def, spec.optional = tag.def, tag.optional
		if !tag.other {
			switch f.Type {
			case reflect.TypeFor[bool]():
				spec.kind = kindBool
			case reflect.TypeFor[string]():
				spec.kind = kindString
			case reflect.TypeFor[[]string]():
				if tag.sep == "none" {
					spec.kind = kindStrings
				}
			case reflect.TypeFor[int]():
				spec.kind = kindInt
			}
		}
		set = append(set, spec)
	}
	return set
}

// fieldTag is what the shape of a command line needs from a field's kong tags.
type fieldTag struct {
	name                                    string
	short                                   rune
	embed, ignored, negatable, arg, counter bool
	hasDefault                              bool
	def, sep                                string
	optional                                bool
	// other is a tag that gives the value a meaning of kong's (enum, type, lastwins,
	// xor, env…): parseDirect leaves the field to kong.
	other bool
}

// readTag reads a struct tag in one pass; reflect.StructTag.Lookup would scan it once
// for each key, and this runs for every field at every start.
func readTag(tag reflect.StructTag) fieldTag {
	var t fieldTag
	s := string(tag)
	for s != "" {
		s = strings.TrimLeft(s, " ")
		key, rest, ok := strings.Cut(s, `:"`)
		if !ok {
			break
		}
		end := 0
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		value := rest[:min(end, len(rest))]
		if strings.Contains(value, `\`) {
			value, _ = strconv.Unquote(`"` + value + `"`)
		}
		s = rest[min(end+1, len(rest)):]
		switch key {
		case "name":
			t.name = value
		case "short":
			t.short, _ = utf8.DecodeRuneInString(value)
		case "embed":
			t.embed = true
		case "kong":
			t.ignored = value == "-"
		case "negatable":
			t.negatable = true
		case "arg":
			t.arg = true
		case "default":
			t.hasDefault, t.def = true, value
		case "type":
			t.counter, t.other = value == "counter", true
		case "sep":
			t.sep = value
		case "optional":
			t.optional = true
		case "help", "placeholder", "group", "hidden", "json":
		default:
			t.other = true
		}
	}
	return t
}

// long is the flag --name names exactly, or nil.
func (s flagSet) long(name string) *flagSpec {
	for i := range s {
		if !s[i].positional && s[i].name == name {
			return &s[i]
		}
	}
	return nil
}

// short is the flag -r names, or nil.
func (s flagSet) short(r rune) *flagSpec {
	for i := range s {
		if !s[i].positional && s[i].short == r && r != 0 {
			return &s[i]
		}
	}
	return nil
}

// negated is the flag --no-NAME turns off, or nil.
func (s flagSet) negated(name string) *flagSpec {
	rest, ok := strings.CutPrefix(name, "no-")
	if f := s.long(rest); ok && f != nil && f.negatable {
		return f
	}
	return nil
}

// argFlags is what one flag argument names: its flags (a bundle such as -sSfL names
// several), whether the argument after it is its value, and whether it names a flag no
// field has (help: kong's own --help or -h).
type argFlags struct {
	flags     []*flagSpec
	negated   bool // --no-NAME
	valueNext bool
	unknown   bool
	help      bool
}

// isFlagArg reports whether a is a flag argument: "-x…" or "--name…", not "-" or "--".
func isFlagArg(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

// read is what the flag argument a names. A bundle ends at its first flag that takes
// a value: "-XPOST" has it in the bundle, "-sX POST" in the next argument.
func (s flagSet) read(a string) argFlags {
	var r argFlags
	if name, ok := strings.CutPrefix(a, "--"); ok {
		name, _, hasValue := strings.Cut(name, "=")
		if f := s.long(name); f != nil {
			r.flags, r.valueNext = []*flagSpec{f}, f.value && !hasValue
		} else if f := s.negated(name); f != nil {
			r.flags, r.negated = []*flagSpec{f}, true
		} else {
			r.unknown, r.help = true, name == "help"
		}
		return r
	}
	for j, c := range a[1:] {
		f := s.short(c)
		if f == nil {
			r.unknown, r.help = true, c == 'h'
			return r
		}
		r.flags = append(r.flags, f)
		if f.value {
			r.valueNext = j+utf8.RuneLen(c) == len(a)-1
			return r
		}
	}
	return r
}

// named is which fields args name (with the positionals and the defaults), or false
// for --help, kong's own flag, whose output needs the whole model. Scanning stops at a
// flag no field names: kong's model of the fields before it fails there with kong's words.
func (s flagSet) named(args []string) ([]bool, bool) {
	use := make([]bool, len(s))
	for i := range s {
		use[i] = s[i].always
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return use, true // the rest are positionals
		}
		if !isFlagArg(a) {
			continue
		}
		r := s.read(a)
		for _, f := range r.flags {
			for k := range s {
				use[k] = use[k] || &s[k] == f
			}
		}
		if r.unknown {
			return use, !r.help
		}
		if r.valueNext {
			i++
		}
	}
	return use, true
}

// parseDirect stores args in target as kong would, without kong, when every argument is
// a flag whose value kong would store as it is: a bool, a string, one more string of a
// []string (sep:"none"); and every field kong fills by itself is an int default or an
// optional positional left empty. When such flags lead to a flag no field names, it
// returns that flag as kong's error would name it, and stores nothing. Otherwise it
// reports false, having changed nothing (a value kong maps, a positional, --, --help, a
// flag without its value, a name kong would read another way), and kong parses instead.
// A probe's command line (-sf URL, the URL taken out by splitURLs) is this kind:
// kong.New's first call in a process touches memory and code no other part of a run
// does, 0.5 ms and 25 page faults on its own (issue 15). TestNamedModelMatchesWhole and
// FuzzParseArgs hold it to kong's result.
func parseDirect(target reflect.Value, set flagSet, args []string) (stored bool, unknown string) {
	stores, unknown, ok := directStores(set, args)
	if !ok {
		return false, unknown
	}
	defaults, ok := directDefaults(set, stores)
	if !ok {
		return false, ""
	}
	for _, d := range defaults {
		target.FieldByIndex(d.f.index).SetInt(int64(d.n))
	}
	for _, s := range stores {
		field := target.FieldByIndex(s.f.index)
		switch s.f.kind {
		case kindBool:
			field.SetBool(!s.off)
		case kindString:
			field.SetString(s.value)
		case kindStrings:
			field.Set(reflect.Append(field, reflect.ValueOf(s.value)))
		}
	}
	return true, ""
}

// directStore is one value parseDirect stores: a flag's value, true for a bool, or
// false for --no-NAME.
type directStore struct {
	f     *flagSpec
	value string
	off   bool
}

// directStores reads args as kong would when each is a plain flag (parseDirect), in
// order; ok is false at the first argument that is not, with the unknown flag kong would
// name if that is why.
func directStores(set flagSet, args []string) (stores []directStore, unknown string, ok bool) {
	valueAt := func(i int, f *flagSpec) (string, bool) {
		// kong takes "-x" as a string's value (WithHyphenPrefixedParameters), not as a
		// []string's: that is its error to tell.
		if i >= len(args) || args[i] == "--" || !utf8.ValidString(args[i]) || (f.kind == kindStrings && strings.HasPrefix(args[i], "-")) {
			return "", false
		}
		return args[i], true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !isFlagArg(a) || !utf8.ValidString(a) { // kong splits bundles byte by byte, read rune by rune
			return nil, "", false
		}
		r := set.read(a)
		if r.unknown {
			return nil, unknownFlag(a, r), false
		}
		if long, isLong := strings.CutPrefix(a, "--"); isLong {
			f := r.flags[0]
			_, value, hasValue := strings.Cut(long, "=")
			switch {
			case f.kind == kindBool && !hasValue:
				stores = append(stores, directStore{f: f, off: r.negated})
			case (f.kind == kindString || f.kind == kindStrings) && !r.negated && (!hasValue || value != ""):
				if !hasValue {
					i++
					if value, ok = valueAt(i, f); !ok {
						return nil, "", false
					}
				}
				stores = append(stores, directStore{f: f, value: value})
			default:
				return nil, "", false
			}
			continue
		}
		rest := a[1:]
		for _, f := range r.flags {
			_, size := utf8.DecodeRuneInString(rest)
			rest = rest[size:]
			switch f.kind {
			case kindBool:
				stores = append(stores, directStore{f: f})
			case kindString, kindStrings:
				value := rest // a bundle ends at its first flag with a value (read)
				if r.valueNext {
					i++
					if value, ok = valueAt(i, f); !ok {
						return nil, "", false
					}
				} else if strings.HasPrefix(value, "=") {
					return nil, "", false
				}
				stores = append(stores, directStore{f: f, value: value})
			default:
				return nil, "", false
			}
		}
	}
	return stores, "", true
}

// intDefault is an int field's default, as kong would set it.
type intDefault struct {
	f *flagSpec
	n int
}

// directDefaults is what kong fills by itself when stores are all a line names: int
// defaults; ok is false where it would fill anything else (a default of another kind,
// a default's flag also named, a required positional: its error).
func directDefaults(set flagSet, stores []directStore) (defaults []intDefault, ok bool) {
	for i := range set {
		f := &set[i]
		switch {
		case !f.always:
		case f.positional:
			if !f.optional {
				return nil, false
			}
		case f.kind != kindInt || slices.ContainsFunc(stores, func(s directStore) bool { return s.f == f }):
			return nil, false
		default:
			n, err := strconv.Atoi(f.def)
			if err != nil {
				return nil, false
			}
			defaults = append(defaults, intDefault{f, n})
		}
	}
	return defaults, true
}

// unknownFlag is the flag kong's error names for a, an argument no field's flag reads
// (read's unknown): "--name" before any '=', or in a bundle "-c" for the first letter no
// flag has; kong splits bundles byte by byte. It is "" where kong would print help
// instead, or where the flag is not of the plain letters flagInError takes whole, and
// kong is left to word it.
func unknownFlag(a string, r argFlags) string {
	if r.help {
		return ""
	}
	flag := ""
	if long, ok := strings.CutPrefix(a, "--"); ok {
		name, _, _ := strings.Cut(long, "=")
		flag = "--" + name
	} else {
		tail := a[1:]
		for _, f := range r.flags { // the known bools before it
			if f.kind != kindBool || f.short >= utf8.RuneSelf {
				return ""
			}
			tail = tail[1:]
		}
		flag = "-" + tail[:1]
	}
	if flagInError(flag) != flag {
		return ""
	}
	return flag
}

// parseInto parses args into target (a pointer to a command-line struct) as kong
// would with the whole model; done means exit with code now (after --help, or a bad
// command line told in curl's words).
func parseInto(target any, name, description string, args []string, e env) (code int, done bool) {
	return parseNamed(target, flagsOf(reflect.TypeOf(target).Elem()), name, description, args, e)
}

// parseNamed is parseInto with the target's flags already read.
func parseNamed(target any, set flagSet, name, description string, args []string, e env) (code int, done bool) {
	switch stored, unknown := parseDirect(reflect.ValueOf(target).Elem(), set, args); {
	case stored:
		return 0, false
	case unknown != "":
		return badCommandLine(fmt.Errorf("unknown flag %s", unknown), name, e), true
	}
	return parseWithKong(target, set, name, description, args, e)
}

// parseWithKong parses args with kong's model of the fields they name, or with the whole
// model where only it can answer.
func parseWithKong(target any, set flagSet, name, description string, args []string, e env) (code int, done bool) {
	v := reflect.ValueOf(target).Elem()
	if use, ok := set.named(args); ok {
		var fields []reflect.StructField
		var from [][]int
		for i, f := range set {
			if use[i] {
				sf := v.Type().FieldByIndex(f.index)
				sf.Index, sf.Offset, sf.Anonymous = nil, 0, false
				fields = append(fields, sf)
				from = append(from, f.index)
			}
		}
		some := reflect.New(reflect.StructOf(fields))
		if parser, err := kong.New(some.Interface(), kongOptions(name, description, e)...); err == nil {
			switch err := parseArgs(parser, args); {
			case err == nil:
				for i, index := range from {
					v.FieldByIndex(index).Set(some.Elem().Field(i))
				}
				return 0, false
			case strings.HasPrefix(err.Error(), "unknown flag"):
				return badCommandLine(err, name, e), true // the flag is unknown to any model
			}
		}
	}
	parser, code, ok := newParser(target, name, description, e)
	if !ok {
		return code, true
	}
	return parse(parser, args, e)
}

// kongOptions are kong set up as curl users expect: values may start with '-', help in
// curl's groups, and no exit of its own.
func kongOptions(name, description string, e env) []kong.Option {
	return []kong.Option{
		kong.Name(name),
		kong.Description(description),
		kong.Writers(e.stdout, e.stderr),
		kong.WithHyphenPrefixedParameters(true),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Exit(func(int) { panic(kongExit{}) }),
	}
}

// newParser is kong's whole model of target, with the help from flagDocs on it.
func newParser(target any, name, description string, e env) (*kong.Kong, int, bool) {
	parser, err := kong.New(target, kongOptions(name, description, e)...)
	if err != nil {
		fmt.Fprintf(e.stderr, "kcurl: (2) %v\n", err)
		return nil, exitFailedInit, false
	}
	node := parser.Model.Node
	docs, groups := flagDocs(), helpGroups()
	for _, v := range node.Positional {
		v.Help = docs[v.Name].help
	}
	for _, f := range node.Flags {
		if d, ok := docs[f.Name]; ok {
			f.Help, f.PlaceHolder, f.Group = d.help, d.placeholder, groups[d.group]
		}
	}
	return parser, 0, true
}

// kongExit unwinds parsing when kong wants to exit (after --help).
type kongExit struct{}

// parse runs kong and turns its errors into curl's "option …" line and exit 2.
func parse(parser *kong.Kong, args []string, e env) (code int, done bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(kongExit); !ok {
				panic(r)
			}
			code, done = exitOK, true
		}
	}()
	if err := parseArgs(parser, args); err != nil {
		if errors.Is(err, syscall.EPIPE) {
			// --help into a pipe that closed early: curl's write error, not a bad option.
			fmt.Fprintf(e.stderr, "kcurl: (%d) Failure writing output to destination\n", exitWriteError)
			return exitWriteError, true
		}
		return badCommandLine(err, parser.Model.Name, e), true
	}
	return 0, false
}

// badCommandLine is curl's two lines for a command line kong refused, and exit 2.
func badCommandLine(err error, name string, e env) int {
	fmt.Fprintf(e.stderr, "kcurl: %s\n%s\n", optionError(err), tryHelp(name))
	return exitFailedInit
}

// parseArgs is kong's Parse without its hook calls and without Context.Validate: both
// reach reflect.Value.MethodByName with a name that is not a constant, and with that in
// the program the linker keeps every exported method of every type (1.4 MB of the binary).
// kcurl's grammars have no hooks, commands, required flags, env vars or xor/and groups
// (TestGrammarsNeedOnlyWhatParseArgsChecks keeps it so), which leaves --help, enums and
// missing positionals to check, with kong's words.
func parseArgs(parser *kong.Kong, args []string) error {
	ctx, err := kong.Trace(parser, args)
	if err != nil {
		return err
	}
	if ctx.Error != nil {
		return ctx.Error
	}
	for _, p := range ctx.Path {
		if p.Flag != nil && p.Flag.Name == "help" {
			if err := ctx.PrintUsage(false); err != nil {
				return err
			}
			parser.Exit(exitOK)
		}
	}
	if err := ctx.Reset(); err != nil {
		return err
	}
	if err := ctx.Resolve(); err != nil {
		return err
	}
	if _, err := ctx.Apply(); err != nil {
		return err
	}
	return checkValues(parser.Model.Node)
}

// checkValues is the part of kong's Validate that kcurl's grammars use: an enum value
// must be one of its words, and a required positional must be there.
func checkValues(node *kong.Node) error {
	for _, v := range node.Values() {
		if v.Enum == "" || (v.Required && !v.HasDefault && !v.Set) {
			continue
		}
		got := fmt.Sprint(v.Target.Interface())
		words := v.EnumSlice()
		if !slices.Contains(words, got) {
			for i, w := range words {
				words[i] = strconv.Quote(w)
			}
			return fmt.Errorf("%s must be one of %s but got %q", v.ShortSummary(), strings.Join(words, ","), got)
		}
	}
	var missing []string
	for _, v := range node.Positional {
		if v.Required && !v.Set {
			missing = append(missing, v.Summary())
		}
	}
	if missing != nil {
		return fmt.Errorf("expected %q", strings.Join(missing, " "))
	}
	return nil
}

// splitURLs takes the URLs out of a curl command line, wherever they stand between
// the flags (kong would take only the first run of them), and leaves the flags and
// their values for kong. A value is told from a URL the way curl does it: by whether
// the flag before it takes one.
func splitURLs(set flagSet, args []string) (flags, urls []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(flags, args[i:]...), urls
		case isFlagArg(a):
			flags = append(flags, a)
			if set.read(a).valueNext && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			urls = append(urls, a)
		}
	}
	return flags, urls
}

// flagsInOrder is the long names of the flags in a kong argument list, in order, for
// the rules where curl's order matters (which request method was asked for first); a
// --no- form names none.
func flagsInOrder(set flagSet, args []string) []string {
	var names []string
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		if !isFlagArg(args[i]) {
			continue
		}
		r := set.read(args[i])
		for _, f := range r.flags {
			if !r.negated {
				names = append(names, f.name)
			}
		}
		if r.valueNext {
			i++
		}
	}
	return names
}
