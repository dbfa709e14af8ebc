package main

// curl's config files: -K/--config FILE (- for stdin) puts the file's options where it
// stands on the command line, and ~/.curlrc is read first unless -q comes first. A line
// is "--option value", "option value", "option = value" or "option: value", a value
// may be quoted with curl's escapes, and "url = …" gives a URL; # starts a comment.

import (
	"path/filepath"
	"strings"
)

// maxConfigDepth bounds config files that include each other.
const maxConfigDepth = 10

// expandConfig returns args with .curlrc in front (unless -q is first) and every -K
// replaced by its file's options.
func expandConfig(set flagSet, args []string, e env) ([]string, error) {
	var out []string
	if len(args) > 0 && (args[0] == "-q" || args[0] == "--disable") {
		args = args[1:]
	} else if rc := curlrc(e.getenv); rc != "" {
		if b, err := readBounded(rc, maxArgFileSize); err == nil {
			more, err := configArgs(set, string(b), e, 1)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	}
	more, err := expandConfigArgs(set, args, e, 0)
	return append(out, more...), err
}

// curlrc is the .curlrc curl 7.88 reads: under $CURL_HOME, $XDG_CONFIG_HOME or $HOME.
func curlrc(getenv func(string) string) string {
	for _, v := range []string{"CURL_HOME", "XDG_CONFIG_HOME", "HOME"} {
		if dir := getenv(v); dir != "" {
			p := filepath.Join(dir, ".curlrc")
			if _, err := readBounded(p, maxArgFileSize); err == nil {
				return p
			}
		}
	}
	return ""
}

func expandConfigArgs(set flagSet, args []string, e env, depth int) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, inline, hasInline := "", "", false
		switch {
		case a == "--":
			return append(out, args[i:]...), nil
		case a == "-K" || a == "--config":
			name = "next"
		case strings.HasPrefix(a, "--config="):
			name, inline, hasInline = "inline", a[len("--config="):], true
		case strings.HasPrefix(a, "-K") && len(a) > 2:
			name, inline, hasInline = "inline", a[2:], true
		}
		if name == "" {
			out = append(out, a)
			if takesNextValue(set, a) && i+1 < len(args) {
				i++
				out = append(out, args[i]) // a value, even one that reads "-K"
			}
			continue
		}
		file := inline
		if !hasInline {
			if i+1 >= len(args) {
				return append(out, a), nil // kong says the value is missing
			}
			i++
			file = args[i]
		}
		text, err := readArgFile(file, e.stdin, maxArgFileSize)
		if err != nil {
			return nil, err
		}
		if depth >= maxConfigDepth {
			return nil, exitErrorf(exitFailedInit, "config files nest more than %d deep", maxConfigDepth)
		}
		more, err := configArgs(set, string(text), e, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// takesNextValue reports whether the argument after a is a's value.
func takesNextValue(set flagSet, a string) bool { return isFlagArg(a) && set.read(a).valueNext }

// flagFor is the flag a short ("-o") or long ("--output") argument names.
func flagFor(set flagSet, a string) *flagSpec {
	switch {
	case strings.HasPrefix(a, "--"):
		name, _, _ := strings.Cut(a[2:], "=")
		return set.long(name)
	case strings.HasPrefix(a, "-") && len(a) == 2:
		return set.short(rune(a[1]))
	}
	return nil
}

// configArgs turns a config file's text into command-line arguments.
func configArgs(set flagSet, text string, e env, depth int) ([]string, error) {
	var args []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, " \t=:"); i >= 0 {
			name, rest = line[:i], strings.TrimLeft(line[i:], " \t=:")
		}
		if !strings.HasPrefix(name, "-") {
			name = "--" + name
		}
		if name == "--url" {
			args = append(args, "--url", configValue(rest))
			continue
		}
		f := flagFor(set, name)
		if f != nil && !f.value || rest == "" {
			args = append(args, name)
			continue
		}
		args = append(args, name, configValue(rest))
	}
	return expandConfigArgs(set, args, e, depth)
}

// configValue is a value as curl reads it: quoted with \\ \" \t \n \r \v escapes, or
// up to the first blank.
func configValue(s string) string {
	if !strings.HasPrefix(s, `"`) {
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			return s[:i]
		}
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String()
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 'v':
				b.WriteByte('\v')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
