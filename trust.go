package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// maxCAFileSize bounds what kcurl reads from a CA bundle; the system bundle is about 200 KiB.
const maxCAFileSize = 4 << 20

// trustOptions are the TLS flags as given.
type trustOptions struct {
	insecure   bool
	caFile     string
	caPath     string
	serverName string
	certFile   string
	keyFile    string
}

// trustStore decides which roots verify which host, reading files only when a
// connection first needs them.
type trustStore struct {
	opts  trustOptions
	saDir string
	// saRoot is the root saDir is inside when it is another process's (a debug
	// container's target): its ca.crt is read inside that root, as its token is.
	saRoot string
	// getenv finds CURL_CA_BUNDLE and SSL_CERT_FILE.
	getenv func(string) string

	once       sync.Once
	clientCert []tls.Certificate
	certErr    error

	apiOnce   sync.Once
	apiConfig *tls.Config
	apiCA     string
	apiErr    error

	otherOnce   sync.Once
	otherConfig *tls.Config
	otherCA     string
	otherErr    error
}

// configFor is the TLS configuration that verifies u, and the roots' description for
// -v: none for http://, the API server's roots for the API server, the others' roots
// for any other host.
func (s *trustStore) configFor(u *url.URL, api bool) (*tls.Config, string, error) {
	switch {
	case u.Scheme != "https":
		return nil, "", nil
	case api:
		return s.forAPIServer()
	}
	return s.forOther()
}

// clusterCA reports whether the API server's connection is verified by the cluster's
// CA: --cacert, or the service account's ca.crt, and not -k. Only then is a name the
// API server, and only then does the service-account token go.
func (s *trustStore) clusterCA() bool {
	if s.opts.insecure {
		return false
	}
	return s.opts.caFile != "" || fileExists(filepath.Join(s.saDir, "ca.crt"))
}

// forAPIServer is the TLS configuration for the API server: --cacert, else the
// service account's ca.crt, else the roots other hosts get. caDesc names the roots for -v.
func (s *trustStore) forAPIServer() (cfg *tls.Config, caDesc string, err error) {
	s.apiOnce.Do(func() {
		file := s.opts.caFile
		if file == "" {
			saCA := filepath.Join(s.saDir, "ca.crt")
			if fileExists(saCA) {
				file = saCA
			}
		}
		if file == "" {
			s.apiConfig, s.apiCA, s.apiErr = s.forOther()
			return
		}
		s.apiConfig, s.apiCA, s.apiErr = s.build(file)
	})
	return s.apiConfig, s.apiCA, s.apiErr
}

// forOther is the TLS configuration for any other host: --cacert, else
// CURL_CA_BUNDLE, else SSL_CERT_FILE, else the system roots.
func (s *trustStore) forOther() (*tls.Config, string, error) {
	s.otherOnce.Do(func() {
		file := s.opts.caFile
		for _, name := range []string{"CURL_CA_BUNDLE", "SSL_CERT_FILE"} {
			if file == "" {
				file = s.getenv(name)
			}
		}
		s.otherConfig, s.otherCA, s.otherErr = s.build(file)
	})
	return s.otherConfig, s.otherCA, s.otherErr
}

// build makes a tls.Config whose roots are the certificates in caFile, or the system
// roots when caFile is empty.
func (s *trustStore) build(caFile string) (*tls.Config, string, error) {
	cfg := &tls.Config{
		ServerName:         s.opts.serverName,
		InsecureSkipVerify: s.opts.insecure,
		MinVersion:         tls.VersionTLS12,
	}
	desc := "the system roots"
	if caFile != "" && !s.opts.insecure {
		pool, err := s.loadCAPool(caFile)
		if err != nil {
			return nil, "", err
		}
		cfg.RootCAs = pool
		desc = caFile
	}
	if s.opts.caPath != "" && !s.opts.insecure {
		if cfg.RootCAs == nil {
			cfg.RootCAs, desc = x509.NewCertPool(), ""
		}
		addCAPath(cfg.RootCAs, s.opts.caPath)
		desc = strings.TrimPrefix(desc+", "+s.opts.caPath, ", ")
	}
	certs, err := s.clientCertificates()
	if err != nil {
		return nil, "", err
	}
	cfg.Certificates = certs
	return cfg, desc, nil
}

// clientCertificates loads --cert and --key once.
func (s *trustStore) clientCertificates() ([]tls.Certificate, error) {
	s.once.Do(func() {
		if s.opts.certFile == "" {
			if s.opts.keyFile != "" {
				s.certErr = exitErrorf(exitCertProblem, "--key given without --cert")
			}
			return
		}
		keyFile := s.opts.keyFile
		if keyFile == "" {
			keyFile = s.opts.certFile // curl reads the key from the certificate file then
		}
		certPEM, err := readBounded(s.opts.certFile, maxCAFileSize)
		if err != nil {
			s.certErr = exitErrorf(exitCertProblem, "could not load PEM client certificate from %s: %v", s.opts.certFile, fileProblem(err))
			return
		}
		keyPEM, err := readBounded(keyFile, maxCAFileSize)
		if err != nil {
			s.certErr = exitErrorf(exitCertProblem, "could not load PEM client key from %s: %v", keyFile, fileProblem(err))
			return
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			s.certErr = exitErrorf(exitCertProblem, "could not load PEM client certificate from %s and key from %s", s.opts.certFile, keyFile)
			return
		}
		s.clientCert = []tls.Certificate{pair}
	})
	return s.clientCert, s.certErr
}

// readCA reads a CA file: the service account's inside its root, any other by its path.
func (s *trustStore) readCA(file string) ([]byte, error) {
	if s != nil && s.saRoot != "" && file == filepath.Join(s.saDir, "ca.crt") {
		return serviceAccount{dir: s.saDir, root: s.saRoot}.readFile("ca.crt", maxCAFileSize)
	}
	return readBounded(file, maxCAFileSize)
}

// addCAPath adds the certificates of every PEM file in dir (--capath); files that
// hold none are skipped, as OpenSSL's hashed folders hold other files too.
func addCAPath(pool *x509.CertPool, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if b, err := readBounded(filepath.Join(dir, e.Name()), maxCAFileSize); err == nil {
			pool.AppendCertsFromPEM(b)
		}
	}
}

// loadCAPool reads a PEM bundle; a file with no certificate in it is curl's error 77.
func (s *trustStore) loadCAPool(file string) (*x509.CertPool, error) {
	pemBytes, err := s.readCA(file)
	if err != nil {
		return nil, exitErrorf(exitCACertProblem, "error setting certificate file: %s: %v", file, fileProblem(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, exitErrorf(exitCACertProblem, "error setting certificate file: no root CA certificates parsed from %s", file)
	}
	return pool, nil
}
