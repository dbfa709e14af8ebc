package main

// -F/--form and --form-string: a multipart/form-data body as curl builds it. Each part
// is name=value, name=@file (a file, with its name and a type guessed from it),
// name=<file (the file's text as the value), with ;type= and ;filename= after it.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
)

// formPart is one -F argument, parsed.
type formPart struct {
	name, value string
	// file is @file's name: the part carries the file, and filename names it.
	file, filename, contentType string
	hasFile                     bool
}

// multipartForm builds the body and its Content-Type from -F and --form-string arguments.
func multipartForm(args []posString, literal []posString, stdin io.Reader) ([]byte, string, error) {
	var parts []formPart
	all := append(append([]posString(nil), args...), literal...)
	sortByPos(all)
	isLiteral := map[int]bool{}
	for _, l := range literal {
		isLiteral[l.pos] = true
	}
	for _, a := range all {
		p, err := parseFormPart(a.v, isLiteral[a.pos], stdin)
		if err != nil {
			return nil, "", err
		}
		parts = append(parts, p)
	}
	var random [8]byte
	rand.Read(random[:])
	boundary := "------------------------" + hex.EncodeToString(random[:])
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString(`Content-Disposition: form-data; name="` + formEscape(p.name) + `"`)
		if p.hasFile {
			b.WriteString(`; filename="` + formEscape(p.filename) + `"`)
		}
		b.WriteString("\r\n")
		if p.contentType != "" {
			b.WriteString("Content-Type: " + p.contentType + "\r\n")
		}
		b.WriteString("\r\n" + p.value + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), "multipart/form-data; boundary=" + boundary, nil
}

// parseFormPart reads NAME=CONTENT with curl's @file, <file and ;type=/;filename=.
func parseFormPart(arg string, literal bool, stdin io.Reader) (formPart, error) {
	name, content, ok := strings.Cut(arg, "=")
	if !ok {
		return formPart{}, exitErrorf(exitFailedInit, "Illegally formatted input field!")
	}
	p := formPart{name: name}
	if literal {
		p.value = content
		return p, nil
	}
	kind := byte(0)
	if content != "" && (content[0] == '@' || content[0] == '<') {
		kind, content = content[0], content[1:]
	}
	content, params := splitFormParams(content)
	p.contentType, p.filename = params["type"], params["filename"]
	switch kind {
	case '@':
		b, err := readArgFile(content, stdin, maxDataFileSize)
		if err != nil {
			return formPart{}, err
		}
		p.value, p.hasFile = string(b), true
		if _, given := params["filename"]; !given && content != "-" {
			p.filename = filepath.Base(content)
		}
		if p.contentType == "" {
			p.contentType = guessContentType(p.filename)
		}
	case '<':
		b, err := readArgFile(content, stdin, maxDataFileSize)
		if err != nil {
			return formPart{}, err
		}
		p.value = string(b)
	default:
		p.value = content
	}
	return p, nil
}

// splitFormParams splits "file;type=text/plain;filename=x" into the content and its
// parameters.
func splitFormParams(s string) (string, map[string]string) {
	params := map[string]string{}
	content, rest, _ := strings.Cut(s, ";")
	for rest != "" {
		var item string
		item, rest, _ = strings.Cut(rest, ";")
		if k, v, ok := strings.Cut(strings.TrimSpace(item), "="); ok {
			params[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	return content, params
}

// guessContentType is curl's type for a file part, by extension.
func guessContentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".gif":
		return "image/gif"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".txt":
		return "text/plain"
	case ".htm", ".html":
		return "text/html"
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "application/xml"
	}
	return "application/octet-stream"
}

// formEscape escapes a quoted name as curl 7.88 does: backslashes and quotes.
func formEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

func sortByPos(items []posString) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].pos < items[j-1].pos; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}
