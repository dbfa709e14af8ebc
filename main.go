// Command kcurl is curl for the Kubernetes API server from inside a pod: it finds the
// server, trusts it with the service-account CA, authenticates with the service-account
// token, and otherwise takes curl's flags, prints curl's output and exits with curl's codes.
package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=…"; see buildVersion.
var version string

// cli is kcurl's command line: curl's names and short letters, plus the Kubernetes group.
type cli struct {
	URLs []string `arg:"" optional:"" name:"url"`

	// Request.
	Request          string     `short:"X"`
	Header           []string   `short:"H" sep:"none"`
	Data             dataFlag   `short:"d"`
	DataASCII        dataFlag   `name:"data-ascii"`
	DataRaw          dataFlag   `name:"data-raw"`
	DataBinary       dataFlag   `name:"data-binary"`
	DataURLEncode    dataFlag   `name:"data-urlencode"`
	JSON             dataFlag   `name:"json"`
	Form             posStrings `short:"F"`
	FormString       posStrings `name:"form-string"`
	Get              bool       `short:"G" negatable:""`
	UploadFile       posStrings `short:"T" name:"upload-file"`
	Head             bool       `short:"I" negatable:""`
	UserAgent        optString  `short:"A" name:"user-agent"`
	Compressed       bool       `negatable:""`
	Location         bool       `short:"L" negatable:""`
	MaxRedirs        int        `name:"max-redirs" default:"50"`
	LocationTrust    bool       `name:"location-trusted" negatable:""`
	Post301          bool       `name:"post301"`
	Post302          bool       `name:"post302"`
	Post303          bool       `name:"post303"`
	HTTP10           bool       `name:"http1.0" short:"0" lastwins:"httpversion"`
	HTTP11           bool       `name:"http1.1" lastwins:"httpversion"`
	HTTP2            bool       `name:"http2" lastwins:"httpversion"`
	HTTP2Prior       bool       `name:"http2-prior-knowledge" lastwins:"httpversion"`
	Retry            int
	RetryDelay       secondsFlag `name:"retry-delay"`
	RetryMaxTime     secondsFlag `name:"retry-max-time"`
	RetryAll         bool        `name:"retry-all-errors" negatable:""`
	RetryConnRef     bool        `name:"retry-connrefused" negatable:""`
	NoBuffer         bool        `short:"N" name:"no-buffer"`
	User             string      `short:"u"`
	Cookie           []string    `short:"b" sep:"none"`
	Netrc            bool        `short:"n" negatable:""`
	NetrcOptional    bool        `name:"netrc-optional" negatable:""`
	NetrcFile        string      `name:"netrc-file"`
	CookieJar        string      `short:"c" name:"cookie-jar"`
	Basic            bool
	Referer          string   `short:"e"`
	Range            string   `short:"r"`
	URL              []string `name:"url" sep:"none"`
	URLQuery         []string `name:"url-query" sep:"none"`
	PathAsIs         bool     `name:"path-as-is" negatable:""`
	GlobOff          bool     `short:"g" name:"globoff" negatable:""`
	Proto            string
	ProtoRedir       string      `name:"proto-redir"`
	TimeCond         string      `short:"z" name:"time-cond"`
	EtagSave         string      `name:"etag-save"`
	EtagCompare      string      `name:"etag-compare"`
	ContinueAt       string      `short:"C" name:"continue-at"`
	MaxFilesize      sizeFlag    `name:"max-filesize"`
	LimitRate        sizeFlag    `name:"limit-rate"`
	SpeedLimit       sizeFlag    `short:"Y" name:"speed-limit"`
	SpeedTime        secondsFlag `short:"y" name:"speed-time"`
	RemoteHeaderName bool        `short:"J" name:"remote-header-name" negatable:""`
	Expect100        secondsFlag `name:"expect100-timeout"`
	Parallel         bool        `short:"Z" negatable:""`
	ParallelMax      int         `name:"parallel-max" default:"50"`

	// Output.
	Output          posStrings `short:"o"`
	RemoteName      posBools   `short:"O" name:"remote-name"`
	RemoteNameAll   bool       `name:"remote-name-all" negatable:""`
	OutputDir       string     `name:"output-dir"`
	CreateDirs      bool       `name:"create-dirs" negatable:""`
	RemoveOnError   bool       `name:"remove-on-error" negatable:""`
	DumpHeader      string     `short:"D" name:"dump-header"`
	Stderr          string     `name:"stderr"`
	Trace           string     `name:"trace"`
	TraceASCII      string     `name:"trace-ascii"`
	TraceTime       bool       `name:"trace-time" negatable:""`
	Include         bool       `short:"i" negatable:""`
	Fail            bool       `short:"f" negatable:""`
	FailWithBody    bool       `name:"fail-with-body" negatable:""`
	WriteOut        string     `short:"w" name:"write-out"`
	Table           tableFlag
	AllPages        bool `name:"all-pages"`
	Pretty          bool
	NoPretty        bool     `name:"no-pretty"`
	ProgressBar     bool     `short:"#" name:"progress-bar" negatable:""`
	NoProgressMeter bool     `name:"no-progress-meter"`
	Version         bool     `short:"V"`
	Manual          bool     `short:"M"`
	Next            bool     `short:":" name:"next"`
	Config          []string `short:"K" sep:"none"`
	Disable         bool     `short:"q"`
	FailEarly       bool     `name:"fail-early" negatable:""`
	Watch           bool
	WatchReconnect  bool `name:"watch-reconnect"`
	SAToken         bool `name:"sa-token"`

	// YAML, as kubectl's -o yaml and -f file.yaml.
	YAML bool `name:"yaml"`
	// JSONPath, as kubectl's -o jsonpath (jsonpath.go).
	JSONPath          string `name:"jsonpath"`
	JSONPathFailEmpty bool   `name:"jsonpath-fail-empty"`

	ConnFlags `embed:""`
}

// ConnFlags are the flags that say how to reach and authenticate to a server; the
// subcommands share them with the curl command line.
type ConnFlags struct {
	MaxTime           secondsFlag `short:"m" name:"max-time"`
	ConnectTimeout    secondsFlag `name:"connect-timeout"`
	Resolve           []string    `sep:"none"`
	ConnectTo         []string    `name:"connect-to" sep:"none"`
	UnixSocket        string      `name:"unix-socket"`
	AbstractUnix      string      `name:"abstract-unix-socket"`
	IPv4              bool        `short:"4" name:"ipv4" lastwins:"ipversion"`
	IPv6              bool        `short:"6" name:"ipv6" lastwins:"ipversion"`
	KeepaliveTime     secondsFlag `name:"keepalive-time"`
	NoKeepalive       bool        `name:"no-keepalive"`
	TLSv12            bool        `name:"tlsv1.2" lastwins:"tlsmin"`
	TLSv13            bool        `name:"tlsv1.3" lastwins:"tlsmin"`
	TLSMax            string      `name:"tls-max"`
	Proxy             optString   `short:"x"`
	NoProxy           optString   `name:"noproxy"`
	Verbose           bool        `short:"v" negatable:""`
	Silent            bool        `short:"s" negatable:""`
	ShowError         bool        `short:"S" name:"show-error" negatable:""`
	Insecure          bool        `short:"k" negatable:""`
	CACert            string      `name:"cacert"`
	CAPath            string      `name:"capath"`
	PinnedPubKey      string      `name:"pinnedpubkey"`
	Ciphers           string      `name:"ciphers"`
	TLSServerName     string      `name:"tls-server-name"`
	Cert              string      `short:"E"`
	Key               string
	Server            string
	Token             string
	TokenFile         string `name:"token-file"`
	OAuth2Bearer      string `name:"oauth2-bearer"`
	Namespace         string
	FromPID           int    `name:"from-pid"`
	ServiceAccountDir string `name:"service-account-dir"`

	// Impersonation, as kubectl's flags.
	As          string   `name:"as"`
	AsGroup     []string `name:"as-group" sep:"none"`
	AsUID       string   `name:"as-uid"`
	AsUserExtra []string `name:"as-user-extra" sep:"none"`
}

// flagDoc is how a flag or argument is shown in --help and completions.
type flagDoc struct{ group, placeholder, help string }

// flagDocs are the flags' and arguments' docs by kong name; newParser puts them on the
// whole model. The struct tags say only how to parse, because kong parses every tag of
// the model it builds: with help, group and placeholder in them, that was more than half
// of kong.New's time and allocations, for text that only --help and completion show. A
// function, not a package map: a map is built at every start, before main, and only
// --help, completion and a bad command line read it.
func flagDocs() map[string]flagDoc {
	return map[string]flagDoc{
		// the curl command line (cli and ConnFlags).
		"url":                   {"", "", "URL, or a path such as /api/v1/namespaces/default/pods on the API server."},
		"request":               {"request", "METHOD", "Request method to use."},
		"header":                {"request", "HEADER", "Pass a custom header (repeatable; 'Name:' removes a default one, 'Name;' sends it empty, @file reads them from a file)."},
		"data":                  {"request", "DATA", "HTTP POST data; @file or @- reads it (newlines stripped)."},
		"data-ascii":            {"request", "DATA", "Same as --data."},
		"data-raw":              {"request", "DATA", "HTTP POST data, '@' has no meaning."},
		"data-binary":           {"request", "DATA", "HTTP POST data, byte for byte; @file reads it unchanged."},
		"data-urlencode":        {"request", "DATA", "HTTP POST data, URL-encoded (content, =content, name=content, @file, name@file)."},
		"json":                  {"request", "DATA", "HTTP POST JSON; sets Content-Type and Accept to application/json."},
		"get":                   {"request", "", "Put the post data in the URL and use GET."},
		"upload-file":           {"request", "FILE", "Transfer a local file (PUT); - is stdin."},
		"head":                  {"request", "", "Show document info only (HEAD)."},
		"user-agent":            {"request", "NAME", "Send User-Agent NAME (default kcurl/VERSION)."},
		"compressed":            {"request", "", "Request a compressed response and decompress it."},
		"location":              {"request", "", "Follow redirects."},
		"max-redirs":            {"request", "NUM", "Maximum number of redirects allowed."},
		"location-trusted":      {"request", "", "Like --location, and send credentials (-u, -H Authorization, -H Cookie) to other hosts."},
		"post301":               {"request", "", "Do not switch to GET after following a 301."},
		"post302":               {"request", "", "Do not switch to GET after following a 302."},
		"post303":               {"request", "", "Do not switch to GET after following a 303."},
		"http1.0":               {"request", "", "Use HTTP/1.0."},
		"http1.1":               {"request", "", "Use HTTP/1.1."},
		"http2":                 {"request", "", "Use HTTP/2 (the default over TLS)."},
		"retry":                 {"request", "NUM", "Retry request if transient problems occur."},
		"retry-delay":           {"request", "SECONDS", "Wait time between retries."},
		"retry-max-time":        {"request", "SECONDS", "Retry only within this period."},
		"retry-all-errors":      {"request", "", "Retry all errors (use with --retry)."},
		"retry-connrefused":     {"request", "", "Retry on connection refused (use with --retry)."},
		"no-buffer":             {"request", "", "Disable buffering of the output stream (kcurl never buffers it)."},
		"user":                  {"request", "USER:PASSWORD", "Server user and password (HTTP Basic; blanked from the process's command line)."},
		"basic":                 {"request", "", "Use HTTP Basic authentication (the default with -u)."},
		"cookie":                {"request", "DATA|FILENAME", "Send cookies from a string (NAME=VALUE) or a Netscape cookie file."},
		"cookie-jar":            {"request", "FILENAME", "Write cookies to FILENAME after the run (Netscape format)."},
		"referer":               {"request", "URL", "Referrer URL (;auto is accepted and ignored)."},
		"range":                 {"request", "RANGE", "Retrieve only the bytes within RANGE."},
		"url-query":             {"request", "DATA", "Add a URL query part, URL-encoded as --data-urlencode (+ prefix: as it is)."},
		"path-as-is":            {"request", "", "Do not squash .. sequences in the URL path."},
		"proto":                 {"request", "PROTOCOLS", "Enable/disable PROTOCOLS (http, https; =https, -all,+https)."},
		"proto-redir":           {"request", "PROTOCOLS", "Enable/disable PROTOCOLS on redirect."},
		"time-cond":             {"request", "TIME", "Transfer based on a time condition (a date, or a file's time; - for older)."},
		"etag-save":             {"request", "FILE", "Save the ETag of the response to FILE."},
		"etag-compare":          {"request", "FILE", "Send If-None-Match with the ETag read from FILE."},
		"continue-at":           {"request", "OFFSET", "Resume the transfer at OFFSET (- finds it from the -o file)."},
		"max-filesize":          {"request", "BYTES", "Maximum file size to download (k, M, G suffixes)."},
		"limit-rate":            {"request", "SPEED", "Limit the transfer speed to SPEED bytes per second (k, M, G suffixes)."},
		"expect100-timeout":     {"request", "SECONDS", "How long to wait for 100-continue (default 1)."},
		"parallel":              {"request", "", "Accepted for curl's scripts; the transfers run one after another."},
		"parallel-max":          {"request", "NUM", "Accepted with --parallel."},
		"remote-name":           {"output", "", "Write output to a file named as the remote file."},
		"remote-name-all":       {"output", "", "Use the remote file name for all URLs."},
		"output-dir":            {"output", "DIR", "Directory to save files in."},
		"create-dirs":           {"output", "", "Create the directories an -o or -O file needs."},
		"dump-header":           {"output", "FILE", "Write the received headers to FILE (- for stdout)."},
		"stderr":                {"output", "FILE", "Where to redirect stderr (- for stdout)."},
		"connect-to":            {"request", "HOST1:PORT1:HOST2:PORT2", "Connect to HOST2:PORT2 for requests to HOST1:PORT1."},
		"unix-socket":           {"request", "PATH", "Connect through this Unix domain socket."},
		"abstract-unix-socket":  {"request", "PATH", "Connect through this abstract Unix domain socket."},
		"ipv4":                  {"request", "", "Resolve names to IPv4 addresses only."},
		"ipv6":                  {"request", "", "Resolve names to IPv6 addresses only."},
		"keepalive-time":        {"request", "SECONDS", "Interval between TCP keepalive probes."},
		"no-keepalive":          {"request", "", "Disable TCP keepalive on the connection."},
		"tlsv1.2":               {"tls", "", "Use TLSv1.2 or greater."},
		"tlsv1.3":               {"tls", "", "Use TLSv1.3 or greater."},
		"tls-max":               {"tls", "VERSION", "Set the maximum allowed TLS version (1.2, 1.3, default)."},
		"output":                {"output", "FILE", "Write to FILE instead of stdout (one per URL)."},
		"include":               {"output", "", "Include the response headers in the output."},
		"fail":                  {"output", "", "Fail fast with no output on HTTP errors (exit 22)."},
		"fail-with-body":        {"output", "", "Fail on HTTP errors (exit 22) but write the body."},
		"write-out":             {"output", "FORMAT", "Write out FORMAT after each transfer (%{http_code}, %{json}, @file …)."},
		"table":                 {"kubernetes", "", "Ask for the server-side Table and print it as kubectl get does; --table=wide adds the wide columns."},
		"all-pages":             {"kubernetes", "", "Follow metadata.continue and write one merged List, page by page."},
		"pretty":                {"output", "", "Indent JSON bodies as they stream (the default when stdout is a terminal, except for watches)."},
		"no-pretty":             {"output", "", "Write JSON bodies exactly as received."},
		"progress-bar":          {"output", "", "Display transfer progress as a bar."},
		"no-progress-meter":     {"output", "", "Do not show the progress meter."},
		"version":               {"output", "", "Show version number and quit."},
		"manual":                {"output", "", "Display the manual (kcurl's is --help)."},
		"fail-early":            {"output", "", "Fail on the first transfer error; do not continue."},
		"watch":                 {"kubernetes", "", "Watch: add watch=1&allowWatchBookmarks=true and write each event as it arrives."},
		"watch-reconnect":       {"kubernetes", "", "With --watch: when the watch ends or breaks, resume from the last resourceVersion seen."},
		"max-time":              {"request", "SECONDS", "Maximum time allowed for each transfer."},
		"connect-timeout":       {"request", "SECONDS", "Maximum time allowed for the connection."},
		"resolve":               {"request", "HOST:PORT:ADDR", "Resolve the host and port to this address."},
		"proxy":                 {"request", "[PROTOCOL://]HOST[:PORT]", "Use this proxy."},
		"noproxy":               {"request", "HOSTS", "List of hosts which do not use a proxy."},
		"verbose":               {"output", "", "Make the operation more talkative (on stderr)."},
		"silent":                {"output", "", "Silent mode: no progress meter, no error messages."},
		"show-error":            {"output", "", "Show error messages even when -s is used."},
		"insecure":              {"tls", "", "Do not verify the server's certificate (no service-account token is sent then)."},
		"cacert":                {"tls", "FILE", "CA certificates to verify the server with (default: the service-account ca.crt for the API server)."},
		"tls-server-name":       {"tls", "NAME", "Verify the server's certificate against NAME (as kubectl's flag)."},
		"cert":                  {"tls", "FILE", "Client certificate file (PEM)."},
		"key":                   {"tls", "FILE", "Client private key file (PEM)."},
		"server":                {"kubernetes", "URL", "API server base URL for paths (default: from KUBERNETES_SERVICE_HOST/PORT, else https://kubernetes.default.svc)."},
		"token":                 {"kubernetes", "TOKEN", "Bearer token to send to the API server."},
		"token-file":            {"kubernetes", "FILE", "Read the bearer token from FILE at each attempt."},
		"oauth2-bearer":         {"kubernetes", "TOKEN", "Bearer token (curl's name for --token)."},
		"namespace":             {"kubernetes", "NS", "Namespace for {namespace} in a path (default: the service account's namespace file)."},
		"from-pid":              {"kubernetes", "PID", "Use the service account (token, ca.crt, namespace) that process PID sees, as in a kubectl debug --target container."},
		"service-account-dir":   {"kubernetes", "DIR", "Service-account directory (default $KCURL_SERVICE_ACCOUNT_DIR, else /var/run/secrets/kubernetes.io/serviceaccount)."},
		"form":                  {"request", "NAME=CONTENT", "Specify multipart MIME data (@file uploads a file, <file reads a value; ;type=, ;filename=)."},
		"form-string":           {"request", "NAME=STRING", "Specify multipart MIME data, the value as it is."},
		"config":                {"request", "FILE", "Read options from FILE (- for stdin), as curl's config files."},
		"disable":               {"request", "", "As the first option: do not read ~/.curlrc."},
		"netrc":                 {"request", "", "Take the user and password from ~/.netrc."},
		"netrc-optional":        {"request", "", "Use ~/.netrc when it has the host (as --netrc)."},
		"netrc-file":            {"request", "FILE", "Take the user and password from FILE."},
		"globoff":               {"request", "", "Turn off URL globbing ([1-3], {a,b}); {namespace} and {pod} are never globs."},
		"next":                  {"request", "", "Make the next URL use its own options (curl's -:)."},
		"trace":                 {"output", "FILE", "Write the -v lines (token redacted) to FILE (- for stdout); kcurl writes no hex dump."},
		"trace-ascii":           {"output", "FILE", "As --trace."},
		"trace-time":            {"output", "", "Stamp each --trace line with the time."},
		"capath":                {"tls", "DIR", "CA certificates to verify the server with: every PEM file in DIR."},
		"pinnedpubkey":          {"tls", "HASHES", "Public key to verify the server with: sha256//BASE64[;sha256//…]."},
		"http2-prior-knowledge": {"request", "", "Use HTTP/2 without HTTP/1.1 Upgrade (h2c for http://)."},
		"speed-limit":           {"request", "SPEED", "Stop transfers slower than SPEED bytes per second (for --speed-time)."},
		"speed-time":            {"request", "SECONDS", "The time --speed-limit looks at (default 30)."},
		"remote-header-name":    {"output", "", "With -O: name the file as the server's Content-Disposition says."},
		"remove-on-error":       {"output", "", "Remove the -o file when the transfer fails (else it keeps what came, as curl's)."},
		"ciphers":               {"tls", "LIST", "TLS 1.2 cipher suites to use (OpenSSL's names, : between them)."},
		"jsonpath":              {"kubernetes", "TEMPLATE", "Print a 2xx JSON response through a kubectl JSONPath template ('{.items[*].metadata.name}')."},
		"jsonpath-fail-empty":   {"kubernetes", "", "With --jsonpath: exit 22 when the template matches nothing (for exec probes)."},
		"yaml":                  {"kubernetes", "", "Ask the API server for YAML (Accept: application/yaml) and write it as it streams. A body from @FILE.yaml or .yml goes as application/yaml (PATCH: apply-patch+yaml, fieldManager=kcurl)."},
		"sa-token":              {"kubernetes", "", "Also send the pod's service-account token to the URL given (over verified TLS, never across a redirect to another host), for services that authenticate pods by TokenReview."},
		"as":                    {"kubernetes", "USER", "Impersonate USER (Impersonate-User), as kubectl's --as; sent to the API server only."},
		"as-group":              {"kubernetes", "GROUP", "Impersonate GROUP too (repeatable; one Impersonate-Group header each); needs --as."},
		"as-uid":                {"kubernetes", "UID", "Impersonate this UID (Impersonate-Uid); needs --as."},
		"as-user-extra":         {"kubernetes", "KEY=VALUE", "Impersonate an extra field (Impersonate-Extra-KEY, repeatable); needs --as."},
		// kcurl whoami.
		"format": {"", "", "Output format: text or json."},
		// kcurl can-i.
		"verb":        {"", "", "Verb: get, list, watch, create, update, patch, delete, … (not with --all)."},
		"resource":    {"", "", "Resource (pods, deployments.apps, pods/log) or a non-resource path (/healthz)."},
		"name":        {"", "", "Resource name."},
		"subresource": {"", "", "Subresource, e.g. log or status."},
		"group":       {"", "", "API group (the part after the dot of deployments.apps)."},
		"all":         {"", "", "List every rule the identity has in the namespace (selfsubjectrulesreviews)."},
		// kcurl completion.
		"shell": {"", "", "bash, zsh or fish."},
		// kcurl wait.
		"for":     {"", "CONDITION", "condition=NAME[=VALUE] (VALUE true by default), jsonpath='{EXPR}'[=VALUE] (bare: any non-empty value), delete or create."},
		"timeout": {"", "DURATION", "How long to wait (30s, 5m, 1h; 0 checks once; negative waits a week); then exit 28 naming what is unmet."},
		"path":    {"", "", "An object (/api/v1/namespaces/{namespace}/pods/web-0) or a collection, with ?labelSelector=… (every match must meet it)."},
	}
}

// helpGroups are --help's sections; kong lists them in the order of their first flag.
func helpGroups() map[string]*kong.Group {
	return map[string]*kong.Group{
		"request":    {Key: "request", Title: "Request:"},
		"output":     {Key: "output", Title: "Output:"},
		"tls":        {Key: "tls", Title: "TLS:"},
		"kubernetes": {Key: "kubernetes", Title: "Kubernetes:"},
	}
}

// env is everything kcurl takes from the outside world; tests pass their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stdoutIsTerminal decides the progress meter, as curl does.
	stdoutIsTerminal bool
	// stderrIsTerminal means a person reads the error lines.
	stderrIsTerminal bool
	// dialDNS, when set, is how the resolver reaches a DNS server (tests point it at loopback).
	dialDNS func(ctx context.Context, network, address string) (net.Conn, error)
	// sleep waits between retries; tests shorten it.
	sleep func(ctx context.Context, d time.Duration) error
	// procDir is where other processes' roots are found ("/proc"); tests pass a tree of their own.
	procDir string
	// hostname is the pod's name when POD_NAME is not set.
	hostname func() (string, error)
	// resolvConf is the resolv.conf whose search list names the cluster domain; "" for none.
	resolvConf string
	// hideArg blanks a secret argument where other processes read the command line
	// (/proc/PID/cmdline), as curl does with -u's password.
	hideArg func(value string)
}

func main() {
	// A closed stdout must give exit 23, as curl, not death by SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	// net/http logs what a server does wrong (a body on a 204, a response nobody asked
	// for) through the standard logger; kcurl's stderr holds its own lines only.
	log.SetOutput(io.Discard)
	os.Exit(run(os.Args[1:], osEnv()))
}

func osEnv() env {
	return env{
		getenv:           os.Getenv,
		stdin:            os.Stdin,
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		stdoutIsTerminal: isTerminal(os.Stdout),
		stderrIsTerminal: isTerminal(os.Stderr),
		sleep:            sleepContext,
		hostname:         os.Hostname,
		resolvConf:       "/etc/resolv.conf",
		hideArg:          blankOSArg,
	}
}

// keepSecrets gives the credential flags' values memory of their own, so blanking
// argv (hideSecrets) does not blank them.
func (f *ConnFlags) keepSecrets() {
	f.Token, f.OAuth2Bearer = strings.Clone(f.Token), strings.Clone(f.OAuth2Bearer)
}

// hideSecrets blanks typed credentials (--token, --oauth2-bearer, -u's password) from
// the process's command line as soon as they are parsed, as curl does.
func hideSecrets(e env, values ...string) {
	for _, v := range values {
		if v != "" && e.hideArg != nil {
			e.hideArg(v)
		}
	}
}

// blankOSArg overwrites the argument equal to value with spaces, in the memory the
// kernel shows as /proc/self/cmdline (Go's os.Args point into it: the runtime does not
// copy them).
func blankOSArg(value string) {
	for _, a := range os.Args[1:] {
		if a == value || strings.HasSuffix(a, value) && len(value) > 0 {
			b := unsafe.Slice(unsafe.StringData(a), len(a))
			for i := len(a) - len(value); i < len(a); i++ {
				b[i] = ' '
			}
			return
		}
	}
}

// isTerminal asks the terminal driver (TCGETS), since /dev/null is a character device
// too; where the request means nothing (not Linux), the answer is no.
func isTerminal(f *os.File) bool {
	var termios [256]byte
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), tcgets, uintptr(unsafe.Pointer(&termios[0])))
	return errno == 0
}

// tcgets is Linux's TCGETS ioctl.
const tcgets = 0x5401

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// run is kcurl from arguments to exit code.
func run(args []string, e env) (code int) {
	defer func() {
		// A bug must still end in one line and an exit code, not a stack trace.
		if r := recover(); r != nil {
			fmt.Fprintf(e.stderr, "kcurl: (%d) internal error: %v (a bug: please report it)\n", exitInternal, r)
			code = exitInternal
		}
	}()
	if e.sleep == nil {
		e.sleep = sleepContext
	}
	if len(args) > 0 {
		switch args[0] {
		case "whoami":
			return runWhoami(args[1:], e)
		case "can-i":
			return runCanI(args[1:], e)
		case "wait":
			return runWait(args[1:], e)
		case "completion":
			return runCompletion(args[1:], e)
		}
	}
	var c cli
	set := cliFlags
	if groups := splitNext(set, args); len(groups) > 1 {
		return runGroups(set, groups, e)
	}
	if code, done := parseCurl(&c, set, args, e); done {
		return code
	}
	if c.Version {
		fmt.Fprintln(e.stdout, versionLine())
		return exitOK
	}
	if c.Manual {
		code, _ := parseInto(&cli{}, "kcurl", kcurlDescription, []string{"--help"}, e)
		return code
	}
	return runTransfers(&c, e)
}

// kcurlDescription is the first line of --help.
const kcurlDescription = "curl for the Kubernetes API server, from inside a pod. Also: kcurl whoami, kcurl can-i, kcurl wait, kcurl completion."

// parseCurl parses a curl command line into c: config files, URLs anywhere between
// the flags, then curl's checks of flags that do not go together. Typed credentials
// leave the process's command line as soon as they are parsed.
func parseCurl(c *cli, set flagSet, args []string, e env) (code int, done bool) {
	args, err := expandConfig(set, args, e)
	if err != nil {
		return newOutput(e, messages{}).fail(err), true
	}
	flags, urls := splitURLs(set, args)
	if code, done := parseNamed(c, set, "kcurl", kcurlDescription, flags, e); done {
		return code, true
	}
	c.ConnFlags.keepSecrets()
	c.User = strings.Clone(c.User)
	hideSecrets(e, c.Token, c.OAuth2Bearer, c.User)
	if c.Fail && c.FailWithBody {
		return newOutput(e, c.messages()).fail(&exitError{code: exitFailedInit, err: &usageError{"option " + laterOf(flagsInOrder(set, flags), "fail", "fail-with-body") + ": is badly used here"}}), true
	}
	if text := methodConflict(flagsInOrder(set, flags)); text != "" {
		newOutput(e, c.messages()).curlWarning(text)
		return exitFailedInit, true
	}
	c.URLs = append(urls, c.URLs...) // those after "--" come last
	return 0, false
}

// runTransfers is the curl command line's run: --stderr and --trace set up, then the
// runner.
func runTransfers(c *cli, e env) int {
	if c.Stderr != "" {
		w, closeStderr, err := openStderr(c.Stderr, e)
		if err != nil {
			return newOutput(e, c.messages()).fail(err)
		}
		defer closeStderr()
		e.stderr = w
	}
	m := c.messages()
	if trace := cmp.Or(c.TraceASCII, c.Trace); trace != "" {
		w, closeTrace, err := openStderr(trace, e)
		if err != nil {
			return newOutput(e, m).fail(err)
		}
		defer closeTrace()
		m.trace, m.traceTime = w, c.TraceTime
	}
	out := newOutput(e, m)
	r, err := c.runner(e, out)
	if err != nil {
		return out.fail(err)
	}
	return r.execute(context.Background())
}

// runner turns the command line into typed values, once, checks that they go
// together, reads every input, and makes the connection and the transfers.
func (c *cli) runner(e env, out *output) (*runner, error) {
	c.URLs = append(c.URLs, c.URL...)
	if c.AbstractUnix != "" {
		c.UnixSocket = "@" + c.AbstractUnix // Go's name for the abstract namespace
	}
	if len(c.URLs) == 0 {
		return nil, &exitError{code: exitFailedInit, err: &usageError{"no URL specified!"}}
	}
	if c.Retry < 0 || c.MaxRedirs < -1 {
		return nil, exitErrorf(exitFailedInit, "option --retry/--max-redirs: expected a proper numerical parameter")
	}
	mode, err := chooseMode(c.modeFlags())
	if err != nil {
		return nil, err
	}
	jsonPath, err := c.jsonPathTemplate()
	if err != nil {
		return nil, err
	}
	conn, err := newConnection(c.connOptions(), e)
	if err != nil {
		return nil, err
	}
	writeOut, err := parseWriteOut(c.WriteOut, e.stdin)
	if err != nil {
		return nil, err
	}
	places := placeholders{namespaceFlag: c.Namespace, saDir: conn.sa.dir, saRoot: conn.sa.root, getenv: e.getenv, hostname: e.hostname}
	transfers, err := buildTransfers(c.requestFlags(mode, e.getenv), c.URLs, places, conn.api, e.stdin)
	if err != nil {
		return nil, err
	}
	jar, err := newCookieJar(c.Cookie, c.CookieJar)
	if err != nil {
		return nil, err
	}
	for _, t := range transfers {
		t.jar = jar
	}
	return &runner{
		conn: conn, out: out, sleep: e.sleep, mode: mode, writeOut: writeOut, transfers: transfers,
		delivery: c.deliverOptions(e, jsonPath),
		retry: retryPolicy{
			retries: c.Retry, delay: c.RetryDelay.d, maxTime: c.RetryMaxTime.d,
			// curl 7.88 reads --retry-delay 0 as not given.
			delaySet: c.RetryDelay.set && c.RetryDelay.d > 0,
			all:      c.RetryAll, connRefused: c.RetryConnRef, failOnHTTP: c.Fail || c.FailWithBody,
		},
		redirects: redirectPolicy{
			follow: c.Location || c.LocationTrust, max: c.MaxRedirs, post301: c.Post301, post302: c.Post302, post303: c.Post303,
			protocols: redirectProtocols(c.Proto, c.ProtoRedir),
		},
		dumpHeader: c.DumpHeader,
		jar:        jar, jarFile: c.CookieJar,
		failEarly: c.FailEarly, removeOnError: c.RemoveOnError,
	}, nil
}

// deliverOptions are the flags that say what becomes of a response: which part is
// written, how, and when it fails the transfer.
func (c *cli) deliverOptions(e env, jsonPath *jsonPath) deliverOptions {
	return deliverOptions{
		include: c.Include || c.Head, fail: c.Fail, failWithBody: c.FailWithBody, table: c.Table,
		pretty: c.Pretty, noPretty: c.NoPretty, compressed: c.Compressed,
		outputGiven: len(c.outputs()) > 0 || c.RemoteNameAll, stdoutIsTerminal: e.stdoutIsTerminal,
		maxFilesize: c.MaxFilesize.n, limitRate: c.LimitRate.n, etagSave: c.EtagSave,
		speedLimit: c.SpeedLimit.n, speedTime: speedTime(c.SpeedLimit.n, c.SpeedTime), remoteHeaderName: c.RemoteHeaderName,
		jsonPath: jsonPath, jsonPathFailEmpty: c.JSONPathFailEmpty,
	}
}

// jsonPathTemplate compiles --jsonpath before anything is sent: a bad template is exit 2.
func (c *cli) jsonPathTemplate() (*jsonPath, error) {
	if c.JSONPath == "" {
		if c.JSONPathFailEmpty {
			return nil, exitErrorf(exitFailedInit, "--jsonpath-fail-empty needs --jsonpath")
		}
		return nil, nil
	}
	return parseJSONPath(c.JSONPath)
}

// requestFlags are the flags that make the requests.
func (c *cli) requestFlags(mode runMode, getenv func(string) string) requestFlags {
	return requestFlags{
		method: c.Request, head: c.Head, headerArgs: c.Header, data: orderedData(c), get: c.Get,
		uploadFile: c.uploadFile(0), uploadFiles: c.uploadFiles(), userAgent: c.UserAgent.v, userAgentSet: c.UserAgent.set, compressed: c.Compressed, table: c.Table.on,
		watch: mode == modeWatch || mode == modeWatchReconnect, outputs: c.outputs(), locationTrusted: c.LocationTrust,
		form: c.Form.items, formString: c.FormString.items, netrc: c.netrc(getenv), globOff: c.GlobOff, remoteNameAll: c.RemoteNameAll, outputDir: c.OutputDir, createDirs: c.CreateDirs,
		user: c.User, referer: c.Referer, byteRange: c.Range, urlQuery: c.URLQuery, pathAsIs: c.PathAsIs,
		protocols: urlProtocols(c.Proto),
		timeCond:  c.TimeCond, etagCompare: c.EtagCompare, continueAt: c.ContinueAt,
		yaml: c.YAML,
	}
}

// messages are the flags that say which of kcurl's lines a person sees.
func (c *cli) messages() messages {
	m := c.ConnFlags.messages()
	m.progressBar, m.noProgressMeter, m.outputGiven = c.ProgressBar, c.NoProgressMeter, len(c.outputs()) > 0 || c.RemoteNameAll
	return m
}

func (f ConnFlags) messages() messages {
	return messages{verbose: f.Verbose, silent: f.Silent, showError: f.ShowError}
}

// connOptions are the flags that say how to reach and authenticate to a server.
func (f ConnFlags) connOptions() connOptions {
	return connOptions{
		server: f.Server,
		trust: trustOptions{
			insecure: f.Insecure, caFile: f.CACert, caPath: f.CAPath, serverName: f.TLSServerName, certFile: f.Cert, keyFile: f.Key,
		},
		tokens: tokenFlags{
			token: f.Token, tokenFile: f.TokenFile, oauth2: f.OAuth2Bearer, saDir: f.ServiceAccountDir, fromPID: f.FromPID,
		},
		transport: transportOptions{
			connectTimeout: f.ConnectTimeout.d, proxy: f.Proxy.v, proxyOff: f.Proxy.set && f.Proxy.v == "",
			noProxy: f.NoProxy.v, noProxyOff: f.NoProxy.set && f.NoProxy.v == "", resolve: f.Resolve, userAgent: defaultUserAgent(), expectTimeout: time.Second,
			connectTo: f.ConnectTo, unixSocket: f.UnixSocket, ipv4: f.IPv4, ipv6: f.IPv6,
			keepalive: f.KeepaliveTime.d, noKeepalive: f.NoKeepalive, tlsMin: tlsMin(f), tlsMax: f.TLSMax,
			pinnedKeys: f.PinnedPubKey, ciphers: f.Ciphers,
		},
		maxTime:     f.MaxTime.d,
		impersonate: impersonation{user: f.As, groups: f.AsGroup, uid: f.AsUID, extra: f.AsUserExtra},
	}
}

func (c *cli) connOptions() connOptions {
	o := c.ConnFlags.connOptions()
	o.transport.http11 = c.HTTP11 || c.HTTP10
	o.transport.http10 = c.HTTP10
	o.transport.h2c = c.HTTP2Prior
	if c.UserAgent.set {
		o.transport.userAgent = c.UserAgent.v
	}
	if c.Expect100.set {
		o.transport.expectTimeout = c.Expect100.d
	}
	o.tokens.saToken = c.SAToken
	return o
}

// speedTime is --speed-time, 30 s when only --speed-limit is given, as curl.
func speedTime(limit int64, t secondsFlag) time.Duration {
	switch {
	case t.set:
		return t.d
	case limit > 0:
		return 30 * time.Second
	}
	return 0
}

// tlsMin is the lowest TLS version the flags allow (0: Go's default, TLS 1.2).
func tlsMin(f ConnFlags) uint16 {
	if f.TLSv13 {
		return tls.VersionTLS13
	}
	return 0
}

// connect is a subcommand's way to the API server: its output and its connection.
func connect(flags ConnFlags, e env) (*connection, *output, error) {
	out := newOutput(e, flags.messages())
	conn, err := newConnection(flags.connOptions(), e)
	return conn, out, err
}

// modeFlags are the flags that choose a run mode, and those that cannot go with one.
type modeFlags struct {
	watch, watchReconnect, allPages, table, include, head bool
	yaml                                                  bool
	jsonPath                                              bool
}

func (c *cli) modeFlags() modeFlags {
	return modeFlags{
		watch: c.Watch, watchReconnect: c.WatchReconnect, allPages: c.AllPages,
		table: c.Table.on, include: c.Include, head: c.Head, yaml: c.YAML, jsonPath: c.JSONPath != "",
	}
}

// chooseMode is the run mode the flags ask for, or exit 2 naming two flags that do not
// go together: pages of a List are not a watch, not a Table (its rows would be merged
// as items) and have no one head to show; a Table is printed once it is whole, which a
// watch never is.
func chooseMode(f modeFlags) (runMode, error) {
	conflicts := []struct {
		a, b     bool
		one, two string
	}{
		{f.allPages, f.watch, "--all-pages", "--watch"},
		{f.allPages, f.watchReconnect, "--all-pages", "--watch-reconnect"},
		{f.allPages, f.table, "--all-pages", "--table"},
		{f.allPages, f.include, "--all-pages", "--include"},
		{f.allPages, f.head, "--all-pages", "--head"},
		{f.table, f.watch, "--table", "--watch"},
		{f.table, f.watchReconnect, "--table", "--watch-reconnect"},
		// YAML is neither a Table nor the JSON that pages and watch events are read as.
		{f.yaml, f.table, "--yaml", "--table"},
		{f.yaml, f.allPages, "--yaml", "--all-pages"},
		{f.yaml, f.watch, "--yaml", "--watch"},
		{f.yaml, f.watchReconnect, "--yaml", "--watch-reconnect"},
		// A JSONPath template reads one whole JSON document.
		{f.jsonPath, f.table, "--jsonpath", "--table"},
		{f.jsonPath, f.watch, "--jsonpath", "--watch"},
		{f.jsonPath, f.watchReconnect, "--jsonpath", "--watch-reconnect"},
		{f.jsonPath, f.allPages, "--jsonpath", "--all-pages"},
		{f.jsonPath, f.yaml, "--jsonpath", "--yaml"},
	}
	for _, c := range conflicts {
		if c.a && c.b {
			return 0, exitErrorf(exitFailedInit, "%s and %s cannot be used together", c.one, c.two)
		}
	}
	switch {
	case f.watchReconnect:
		return modeWatchReconnect, nil
	case f.watch:
		return modeWatch, nil
	case f.allPages:
		return modeAllPages, nil
	}
	return modeTransfer, nil
}

// badValueError is a flag value kcurl's own mappers refused.
type badValueError struct{ why string }

func (e *badValueError) Error() string { return e.why }

// secondsFlag is a duration in seconds, fractions allowed, as curl's time options.
type secondsFlag struct {
	d   time.Duration
	set bool
}

// Decode implements kong.MapperValue.
func (s *secondsFlag) Decode(ctx *kong.DecodeContext) error {
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e9 {
		return &badValueError{why: "expected a proper numerical parameter"}
	}
	s.d, s.set = time.Duration(f*float64(time.Second)), true
	return nil
}

// optString is a string flag that knows whether it was given, for the flags where an
// empty value means something (-A ” sends no User-Agent, -x ” turns a proxy off).
type optString struct {
	v   string
	set bool
}

// Decode implements kong.MapperValue.
func (s *optString) Decode(ctx *kong.DecodeContext) error {
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	s.v, s.set = v, true
	return nil
}

// popFlagValue takes a flag's value; with hyphen-prefixed values allowed, kong itself
// does not notice when the command line ends first.
func popFlagValue(ctx *kong.DecodeContext) (string, error) {
	t := ctx.Scan.Pop()
	if t.IsEOL() {
		return "", errors.New("missing value")
	}
	return fmt.Sprint(t.Value), nil
}

// orderedData is every data piece in command-line order.
func orderedData(c *cli) []dataPiece {
	var all []dataPiece
	for _, f := range []struct {
		kind dataKind
		flag *dataFlag
	}{
		{dataASCII, &c.Data}, {dataASCII, &c.DataASCII}, {dataRaw, &c.DataRaw},
		{dataBinary, &c.DataBinary}, {dataURLEncode, &c.DataURLEncode}, {dataJSON, &c.JSON},
	} {
		for _, p := range f.flag.pieces {
			p.kind = f.kind
			all = append(all, p)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	return all
}

// completionCmd is "kcurl completion SHELL".
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish"`
}

// runCompletion prints a completion script made from the command line's own model.
func runCompletion(args []string, e env) int {
	var cmd completionCmd
	if code, done := parseInto(&cmd, "kcurl completion", "Print a shell completion script: kcurl completion bash > /etc/bash_completion.d/kcurl", args, e); done {
		return code
	}
	var c cli
	model, code, ok := newParser(&c, "kcurl", "", e)
	if !ok {
		return code
	}
	if err := writeCompletion(e.stdout, cmd.Shell, model.Model.Flags); err != nil {
		return newOutput(e, messages{}).fail(exitErrorf(exitWriteError, "Failure writing output to destination"))
	}
	return exitOK
}

// openStderr is --stderr's destination: a file, or stdout for "-".
func openStderr(name string, e env) (io.Writer, func(), error) {
	if name == "-" {
		return e.stdout, func() {}, nil
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, exitErrorf(exitWriteError, "Failed to open the file %s: %s", name, fileProblem(err))
	}
	return f, func() { f.Close() }, nil
}

// laterOf is whichever of two flags came last, as --NAME.
func laterOf(names []string, a, b string) string {
	last := a
	for _, n := range names {
		if n == a || n == b {
			last = n
		}
	}
	return "--" + last
}

// tryHelp is curl's second line after a bad command line.
func tryHelp(name string) string {
	if name == "kcurl" {
		return "kcurl: try 'kcurl --help' or 'kcurl --manual' for more information"
	}
	return "kcurl: try '" + name + " --help' for more information"
}

// flagInError is the first word of a kong error that reads as a flag ("--max-time",
// "-H"): a dash or two, then a letter, digit or '#', then letters, digits, '_', '.',
// '#' or '-'. A scan, not a regexp: a bad command line is a start-up path too (issue 15),
// and compiling one touched the regexp packages' pages for a single match.
func flagInError(msg string) string {
	for i := 0; i < len(msg); i++ {
		if msg[i] != '-' || i > 0 && !strings.ContainsRune(" \t\n\f\r", rune(msg[i-1])) {
			continue
		}
		j := i + 1
		if j < len(msg) && msg[j] == '-' {
			j++
		}
		if j == len(msg) || !flagStart(msg[j]) {
			continue
		}
		for j < len(msg) && (flagStart(msg[j]) || msg[j] == '_' || msg[j] == '.' || msg[j] == '-') {
			j++
		}
		return msg[i:j]
	}
	return ""
}

func flagStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '#'
}

// optionError rewords a kong parse error the way curl words a bad option.
func optionError(err error) string {
	msg := err.Error()
	flag := ""
	if f := flagInError(msg); f != "" {
		flag = strings.SplitN(f, "=", 2)[0]
	}
	var bad *badValueError
	switch {
	case strings.HasPrefix(msg, "unknown flag"):
		return "option " + flag + ": is unknown"
	case strings.Contains(msg, "EOL") || strings.Contains(msg, "missing value"):
		return "option " + flag + ": requires parameter"
	case errors.As(err, &bad):
		return "option " + flag + ": " + bad.why
	case flag != "":
		return "option " + flag + ": " + strings.TrimSpace(strings.TrimPrefix(msg[strings.Index(msg, flag)+len(flag):], ":"))
	}
	return msg
}

// buildInfo is the binary's build information, parsed once: the version line and the
// User-Agent both read it, and parsing it is a few dozen allocations.
var buildInfo = sync.OnceValue(func() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
})

// buildVersion is the -X version, else the module version, else the VCS revision.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi := buildInfo(); bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// versionLine is what --version prints: version, Go version, platform and linking.
func versionLine() string {
	linking := "static"
	if bi := buildInfo(); bi != nil {
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" && s.Value == "1" {
				linking = "dynamic (cgo)"
			}
		}
	}
	return fmt.Sprintf("kcurl %s (%s %s/%s, %s)", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH, linking)
}

// requestKinds are curl's names for the request a flag asks for, by flag.
var requestKinds = map[string]string{
	"data": "POST (-d, --data)", "data-ascii": "POST (-d, --data)", "data-binary": "POST (-d, --data)",
	"data-raw": "POST (-d, --data)", "data-urlencode": "POST (-d, --data)", "json": "POST (-d, --data)",
	"form": "multipart formpost (-F, --form)", "form-string": "multipart formpost (-F, --form)",
	"head": "HEAD (-I, --head)", "upload-file": "PUT (-T, --upload-file)",
}

// methodConflict is curl's warning when two flags ask for different requests (-I and
// -d, -d and -T): the later one named first, as curl does; "" when they agree.
func methodConflict(names []string) string {
	first := ""
	get := slices.Contains(names, "get")
	for _, n := range names {
		kind, ok := requestKinds[n]
		if get && kind == "POST (-d, --data)" {
			continue // with -G, data goes in the URL: no POST to conflict with
		}
		switch {
		case !ok:
		case first == "":
			first = kind
		case kind != first:
			return "You can only select one HTTP request method! You asked for both " + kind + " and " + first + "."
		}
	}
	return ""
}

// posStrings is a repeated string flag that keeps each value's place on the command
// line, for flags whose order with others matters (-o with -O).
type posStrings struct{ items []posString }

type posString struct {
	v   string
	pos int
}

// Decode implements kong.MapperValue.
func (p *posStrings) Decode(ctx *kong.DecodeContext) error {
	pos := -ctx.Scan.Len()
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	p.items = append(p.items, posString{v: v, pos: pos})
	return nil
}

// posBools is a repeated flag without a value that keeps its places (-O).
type posBools struct{ pos []int }

// IsBool implements kong.BoolMapperValue: the flag takes no value.
func (p *posBools) IsBool() bool { return true }

// Decode implements kong.MapperValue.
func (p *posBools) Decode(ctx *kong.DecodeContext) error {
	pos := -ctx.Scan.Len()
	if ctx.Scan.Peek().Type == kong.FlagValueToken {
		ctx.Scan.Pop() // --remote-name=true
	}
	p.pos = append(p.pos, pos)
	return nil
}

// sizeFlag is a byte count with curl's k, M, G suffixes.
type sizeFlag struct{ n int64 }

// Decode implements kong.MapperValue.
func (s *sizeFlag) Decode(ctx *kong.DecodeContext) error {
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	n, ok := parseSize(v)
	if !ok {
		return &badValueError{why: "expected a proper numerical parameter"}
	}
	s.n = n
	return nil
}

// parseSize reads "100", "10k", "1M", "2G" (either case) as curl does.
func parseSize(v string) (int64, bool) {
	mult := int64(1)
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}

// uploadFiles are the -T files in order: each goes with the URL of its place.
func (c *cli) uploadFiles() []string {
	var files []string
	for _, it := range c.UploadFile.items {
		files = append(files, it.v)
	}
	return files
}

// uploadFile is the i-th -T file, or "".
func (c *cli) uploadFile(i int) string {
	if files := c.uploadFiles(); i < len(files) {
		return files[i]
	}
	return ""
}

// netrc is the .netrc file -n, --netrc-optional or --netrc-file asks for, or "".
func (c *cli) netrc(getenv func(string) string) string {
	if !c.Netrc && !c.NetrcOptional && c.NetrcFile == "" {
		return ""
	}
	return netrcFile(c.NetrcFile, getenv)
}

// outputs are -o and -O in command-line order: each names the output of the next URL.
func (c *cli) outputs() []outputSpec {
	var out []outputSpec
	for _, o := range c.Output.items {
		out = append(out, outputSpec{file: o.v, pos: o.pos})
	}
	for _, p := range c.RemoteName.pos {
		out = append(out, outputSpec{remote: true, pos: p})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].pos < out[j].pos })
	return out
}

// splitNext splits a command line at -: and --next, curl's separator of operations,
// where they stand as options (not as another option's value).
func splitNext(set flagSet, args []string) [][]string {
	groups := [][]string{nil}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			last := len(groups) - 1
			groups[last] = append(groups[last], args[i:]...)
			return groups
		case a == "-:" || a == "--next":
			groups = append(groups, nil)
			continue
		}
		last := len(groups) - 1
		groups[last] = append(groups[last], a)
		if takesNextValue(set, a) && i+1 < len(args) {
			i++
			groups[last] = append(groups[last], args[i])
		}
	}
	return groups
}

// globalFlags are the options that hold for every operation of a command line, as
// curl's global options do, wherever they were given.
var globalFlags = map[string]bool{
	"silent": true, "show-error": true, "verbose": true, "fail-early": true, "no-progress-meter": true,
	"progress-bar": true, "parallel": true, "insecure": false,
}

// runGroups runs the operations of a command line with --next one after another, each
// with its own options and the global ones of the first; the exit code is the last's
// (with --fail-early, the first failure's).
func runGroups(set flagSet, groups [][]string, e env) int {
	var globals []string
	failEarly := false
	for _, a := range groups[0] {
		names := flagsInOrder(set, []string{a})
		all := len(names) > 0
		for _, n := range names {
			all = all && globalFlags[n]
			failEarly = failEarly || n == "fail-early"
		}
		if all {
			globals = append(globals, a)
		}
	}
	code := exitOK
	for i, g := range groups {
		if i > 0 {
			g = append(append([]string{"-q"}, globals...), g...) // ~/.curlrc is read once, for the first
		}
		if code = run(g, e); code != exitOK && failEarly {
			return code
		}
	}
	return code
}
