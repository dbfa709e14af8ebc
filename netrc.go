package main

// -n/--netrc, --netrc-optional and --netrc-file: the login and password for a host
// from a .netrc file ("machine HOST login USER password PASS", or "default"), sent as
// Basic authorization when neither -u nor the URL gives one, as curl does.

import (
	"path/filepath"
	"strings"
)

// netrcEntry is one machine's (or the default's) login.
type netrcEntry struct{ machine, login, password string }

// netrcFile is which file -n reads: --netrc-file's, else $HOME/.netrc.
func netrcFile(given string, getenv func(string) string) string {
	if given != "" {
		return given
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".netrc")
	}
	return ""
}

// readNetrc reads a .netrc file's entries; a file that cannot be read has none.
func readNetrc(name string) []netrcEntry {
	b, err := readBounded(name, maxArgFileSize)
	if err != nil {
		return nil
	}
	var entries []netrcEntry
	var cur *netrcEntry
	words := strings.Fields(string(b))
	for i := 0; i < len(words); i++ {
		next := func() string {
			if i+1 < len(words) {
				i++
				return words[i]
			}
			return ""
		}
		switch words[i] {
		case "machine":
			entries = append(entries, netrcEntry{machine: next()})
			cur = &entries[len(entries)-1]
		case "default":
			entries = append(entries, netrcEntry{machine: "*"})
			cur = &entries[len(entries)-1]
		case "login":
			if v := next(); cur != nil {
				cur.login = v
			}
		case "password":
			if v := next(); cur != nil {
				cur.password = v
			}
		case "macdef":
			return entries // a macro runs to the end of its paragraph; kcurl has no use for it
		}
	}
	return entries
}

// netrcLogin is the user:password for host (and for user, when the URL names one).
func netrcLogin(entries []netrcEntry, host, user string) (string, bool) {
	for _, e := range entries {
		if (e.machine == "*" || strings.EqualFold(e.machine, host)) && (user == "" || e.login == user) {
			return e.login + ":" + e.password, true
		}
	}
	return "", false
}
