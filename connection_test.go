package main

import (
	"net/url"
	"testing"

	"github.com/matryer/is"
)

func TestBypassProxy(t *testing.T) {
	tests := []struct {
		name string
		host string
		list string
		want bool
	}{
		{name: "empty list", host: "api.test", list: ""},
		{name: "star", host: "api.test", list: "*", want: true},
		{name: "star among others is not a wildcard", host: "api.test", list: "a.test,*"},
		{name: "exact name", host: "api.test", list: "api.test", want: true},
		{name: "exact name, any case", host: "API.Test", list: "api.TEST", want: true},
		{name: "trailing dot on the host", host: "api.test.", list: "api.test", want: true},
		{name: "domain suffix", host: "kubernetes.default.svc", list: "svc", want: true},
		{name: "domain suffix with a dot", host: "kubernetes.default.svc", list: ".svc", want: true},
		{name: "domain suffix with a star", host: "kubernetes.default.svc", list: "*.svc", want: true},
		{name: "suffix without its dot does not match", host: "evilsvc", list: "svc"},
		{name: "suffix of another name", host: "notapi.test", list: "api.test"},
		{name: "spaces around entries", host: "api.test", list: " a.test , api.test ", want: true},
		{name: "IP", host: "10.0.0.1", list: "10.0.0.1", want: true},
		{name: "CIDR", host: "10.96.0.1", list: "10.96.0.0/12", want: true},
		{name: "outside the CIDR", host: "10.112.0.1", list: "10.96.0.0/12"},
		{name: "CIDR against a name", host: "api.test", list: "10.0.0.0/8"},
		{name: "IPv6", host: "::1", list: "::1", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(bypassProxy(tt.host, tt.list), tt.want) // whether the host skips the proxy
		})
	}
}

func TestChooseProxy(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		flag    string
		noProxy string
		env     map[string]string
		want    string
	}{
		{name: "none", url: "https://api.test/"},
		{name: "-x", url: "https://api.test/", flag: "proxy.test:3128", want: "http://proxy.test:3128"},
		{name: "-x wins over the environment", url: "https://api.test/", flag: "a.test:1", env: map[string]string{"HTTPS_PROXY": "b.test:2"}, want: "http://a.test:1"},
		{name: "https_proxy", url: "https://api.test/", env: map[string]string{"https_proxy": "http://p.test:1"}, want: "http://p.test:1"},
		{name: "HTTPS_PROXY", url: "https://api.test/", env: map[string]string{"HTTPS_PROXY": "http://p.test:1"}, want: "http://p.test:1"},
		{name: "https_proxy before HTTPS_PROXY", url: "https://api.test/", env: map[string]string{"https_proxy": "http://a.test:1", "HTTPS_PROXY": "http://b.test:1"}, want: "http://a.test:1"},
		{name: "http_proxy for http", url: "http://api.test/", env: map[string]string{"http_proxy": "http://p.test:1"}, want: "http://p.test:1"},
		{name: "HTTP_PROXY is not honoured (httpoxy)", url: "http://api.test/", env: map[string]string{"HTTP_PROXY": "http://p.test:1"}},
		{name: "http_proxy is not for https", url: "https://api.test/", env: map[string]string{"http_proxy": "http://p.test:1"}},
		{name: "all_proxy", url: "https://api.test/", env: map[string]string{"all_proxy": "http://p.test:1"}, want: "http://p.test:1"},
		{name: "ALL_PROXY", url: "http://api.test/", env: map[string]string{"ALL_PROXY": "http://p.test:1"}, want: "http://p.test:1"},
		{name: "NO_PROXY", url: "https://api.test/", env: map[string]string{"HTTPS_PROXY": "http://p.test:1", "NO_PROXY": "api.test"}},
		{name: "no_proxy before NO_PROXY", url: "https://api.test/", env: map[string]string{"HTTPS_PROXY": "http://p.test:1", "no_proxy": "other.test", "NO_PROXY": "api.test"}, want: "http://p.test:1"},
		{name: "--noproxy wins over NO_PROXY", url: "https://api.test/", noProxy: "other.test", env: map[string]string{"HTTPS_PROXY": "http://p.test:1", "NO_PROXY": "api.test"}, want: "http://p.test:1"},
		{name: "--noproxy bypasses -x", url: "https://api.test/", flag: "p.test:1", noProxy: "api.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			u, _ := url.Parse(tt.url)
			got, err := chooseProxy(u, tt.flag, tt.noProxy, func(k string) string { return tt.env[k] })
			is.NoErr(err)
			s := ""
			if got != nil {
				s = got.String()
			}
			is.Equal(s, tt.want) // the proxy chosen
		})
	}
}

func TestChooseProxyRefusesABadURL(t *testing.T) {
	is := is.New(t)
	u, _ := url.Parse("https://api.test/")
	_, err := chooseProxy(u, "http://", "", func(string) string { return "" })
	is.Equal(exitCodeOf(err), exitProxyResolve) // curl's 5 for a proxy it cannot use
}
