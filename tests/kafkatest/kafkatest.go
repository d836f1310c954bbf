// Package kafkatest gives Go tests real Kafka brokers.
//
// Brokers returns the single node named by KFK_TEST_BROKERS (and the other
// KFK_TEST_* variables) when that is set, otherwise a node started once per
// test binary by tests/kafka/kafka. Cluster does the same for a 3-node
// cluster (KFK_TEST_CLUSTER_BROKERS, KFK_TEST_CLUSTER_DIR). Call Main from
// TestMain so that what was started is stopped; should the test binary die
// first, the script stops it anyway (it watches the binary's pid).
// KFK_TEST_NO_BROKER=1 skips every test that asks for a broker.
//
// Fake starts an in-process fake cluster (franz-go's kfake) instead: the
// broker-free tier of tests (make test-fast) uses it, and it runs under
// KFK_TEST_NO_BROKER=1 too.
package kafkatest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Env is the single node's addresses and test credentials. Fields whose
// variable is unset are empty.
type Env struct {
	Brokers        []string // PLAINTEXT host:port (KFK_TEST_BROKERS)
	SASLBrokers    []string // SASL_PLAINTEXT: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	TLSBrokers     []string // SSL, certificate for TLSHost and 127.0.0.1
	SASLTLSBrokers []string // SASL_SSL, same mechanisms and certificate
	OAuthBrokers   []string // SASL_PLAINTEXT with OAUTHBEARER (unsigned development tokens)
	OIDCBrokers    []string // SASL_PLAINTEXT with OAUTHBEARER, tokens of the test token endpoint
	ReauthBrokers  []string // OIDCBrokers' tokens and SCRAM-SHA-256, sessions of ReauthMs (KIP-368)
	ReauthMs       string
	GSSAPIBrokers  []string // SASL_PLAINTEXT with GSSAPI (Kerberos), as localhost:port
	// The test KDC's realm: its krb5.conf, the brokers' service, a client
	// principal with a keytab, and a user with a password.
	KRB5Config    string
	KRB5Realm     string
	KRB5Service   string
	KRB5Keytab    string
	KRB5Principal string
	KRB5User      string
	KRB5Pass      string
	// The test token endpoint (client credentials grant) and its clients:
	// OIDCClientID gets hour-long tokens, OIDCShortClientID tokens of a
	// few seconds; both use OIDCClientSecret.
	OIDCTokenURL      string
	OIDCClientID      string
	OIDCShortClientID string
	OIDCClientSecret  string
	TLSCA             string // path of the CA certificate (PEM)
	TLSHost           string // host name in the broker certificate
	PlainUser         string
	PlainPass         string
	Scram256User      string
	Scram256Pass      string
	Scram512User      string
	Scram512Pass      string
	KafkaVersion      string // Apache Kafka release, when the script started it
}

// startTimeout bounds one run of the script (it fetches jars on first use).
const startTimeout = 10 * time.Minute

var (
	mu      sync.Mutex
	started string // state dir of a broker this binary started
	env     *Env

	compatStarted string // the same for the compatibility release's broker
	compatEnv     *Env
	seq           atomic.Int64

	clusterMu      sync.Mutex
	clusterDir     string
	clusterBrokers []string
	clusterOwned   bool
)

// Script is the path of tests/kafka/kafka, found from this source file so
// that tests in any package directory reach it.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "kafka", "kafka")
}

func split(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func fromVars(get func(string) string) *Env {
	return &Env{
		Brokers:        split(get("KFK_TEST_BROKERS")),
		SASLBrokers:    split(get("KFK_TEST_SASL_BROKERS")),
		TLSBrokers:     split(get("KFK_TEST_TLS_BROKERS")),
		SASLTLSBrokers: split(get("KFK_TEST_SASL_TLS_BROKERS")),
		OAuthBrokers:   split(get("KFK_TEST_OAUTH_BROKERS")),
		OIDCBrokers:    split(get("KFK_TEST_OIDC_BROKERS")),
		ReauthBrokers:  split(get("KFK_TEST_REAUTH_BROKERS")),
		ReauthMs:       get("KFK_TEST_REAUTH_MS"),
		GSSAPIBrokers:  split(get("KFK_TEST_GSSAPI_BROKERS")),
		KRB5Config:     get("KFK_TEST_KRB5_CONFIG"),
		KRB5Realm:      get("KFK_TEST_KRB5_REALM"),
		KRB5Service:    get("KFK_TEST_KRB5_SERVICE"),
		KRB5Keytab:     get("KFK_TEST_KRB5_KEYTAB"),
		KRB5Principal:  get("KFK_TEST_KRB5_PRINCIPAL"),
		KRB5User:       get("KFK_TEST_KRB5_USER"),
		KRB5Pass:       get("KFK_TEST_KRB5_PASS"),

		OIDCTokenURL:      get("KFK_TEST_OIDC_TOKEN_URL"),
		OIDCClientID:      get("KFK_TEST_OIDC_CLIENT_ID"),
		OIDCShortClientID: get("KFK_TEST_OIDC_SHORT_CLIENT_ID"),
		OIDCClientSecret:  get("KFK_TEST_OIDC_CLIENT_SECRET"),
		TLSCA:             get("KFK_TEST_TLS_CA"),
		TLSHost:           get("KFK_TEST_TLS_HOST"),
		PlainUser:         get("KFK_TEST_PLAIN_USER"),
		PlainPass:         get("KFK_TEST_PLAIN_PASS"),
		Scram256User:      get("KFK_TEST_SCRAM256_USER"),
		Scram256Pass:      get("KFK_TEST_SCRAM256_PASS"),
		Scram512User:      get("KFK_TEST_SCRAM512_USER"),
		Scram512Pass:      get("KFK_TEST_SCRAM512_PASS"),
		KafkaVersion:      get("KFK_TEST_KAFKA_VERSION"),
	}
}

// ParseEnv reads the KEY=VALUE lines the script prints.
func ParseEnv(out []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && strings.HasPrefix(k, "KFK_TEST_") {
			vars[k] = v
		}
	}
	return vars
}

// run runs the script and returns its stdout; stderr goes into the error.
func run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Script(), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v\n%s", Script(), strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func skipIfNoBroker(tb testing.TB) {
	if os.Getenv("KFK_TEST_NO_BROKER") == "1" {
		tb.Skip("KFK_TEST_NO_BROKER=1: no broker tests")
	}
}

// Brokers returns the test broker, starting one (once per test binary) if
// KFK_TEST_BROKERS is not set.
func Brokers(tb testing.TB) Env {
	tb.Helper()
	skipIfNoBroker(tb)
	mu.Lock()
	defer mu.Unlock()
	if env != nil {
		return *env
	}
	if os.Getenv("KFK_TEST_BROKERS") != "" {
		env = fromVars(os.Getenv)
		return *env
	}
	dir, err := os.MkdirTemp("", "kfk-gotest-broker")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := run("start", "--dir", dir, "--owner-pid", strconv.Itoa(os.Getpid()))
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("starting a Kafka broker: %v", err)
	}
	started = dir
	vars := ParseEnv(out)
	if vars["KFK_TEST_BROKERS"] == "" {
		tb.Fatalf("the broker script printed no KFK_TEST_BROKERS:\n%s", out)
	}
	env = fromVars(func(k string) string { return vars[k] })
	return *env
}

// CompatBrokers returns a broker of the compatibility release (Kafka 3.9,
// before KIP-848's protocol and share groups): the one named by
// KFK_TEST_COMPAT_BROKERS, or one started for this test binary (once) and
// stopped by Main.
func CompatBrokers(tb testing.TB) Env {
	tb.Helper()
	skipIfNoBroker(tb)
	mu.Lock()
	defer mu.Unlock()
	if compatEnv != nil {
		return *compatEnv
	}
	if b := os.Getenv("KFK_TEST_COMPAT_BROKERS"); b != "" {
		compatEnv = &Env{Brokers: split(b)}
		return *compatEnv
	}
	dir, err := os.MkdirTemp("", "kfk-gotest-compat")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := run("start", "--compat", "--dir", dir, "--owner-pid", strconv.Itoa(os.Getpid()))
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("starting a Kafka broker of the compatibility release: %v", err)
	}
	vars := ParseEnv(out)
	if vars["KFK_TEST_BROKERS"] == "" {
		tb.Fatalf("the broker script printed no KFK_TEST_BROKERS:\n%s", out)
	}
	compatStarted, compatEnv = dir, fromVars(func(k string) string { return vars[k] })
	return *compatEnv
}

// Cluster returns the brokers of a 3-node cluster (node n at index n-1):
// the one named by KFK_TEST_CLUSTER_BROKERS (with KFK_TEST_CLUSTER_DIR, the
// folder given to `kafka cluster-start --dir`, if NodeStop and NodeStart are
// to work), or one started for this test binary and stopped by Main.
func Cluster(tb testing.TB) []string {
	tb.Helper()
	skipIfNoBroker(tb)
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterBrokers != nil {
		return clusterBrokers
	}
	if b := os.Getenv("KFK_TEST_CLUSTER_BROKERS"); b != "" {
		clusterBrokers, clusterDir = split(b), os.Getenv("KFK_TEST_CLUSTER_DIR")
		return clusterBrokers
	}
	dir, err := os.MkdirTemp("", "kfk-gotest-cluster")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := run("cluster-start", "--dir", dir, "--owner-pid", strconv.Itoa(os.Getpid()))
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("starting a 3-node cluster: %v", err)
	}
	brokers := split(ParseEnv(out)["KFK_TEST_CLUSTER_BROKERS"])
	if len(brokers) != 3 {
		tb.Fatalf("the cluster script printed no KFK_TEST_CLUSTER_BROKERS:\n%s", out)
	}
	clusterBrokers, clusterDir, clusterOwned = brokers, dir, true
	return clusterBrokers
}

func nodeDir(tb testing.TB) string {
	tb.Helper()
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterBrokers == nil {
		tb.Fatal("kafkatest: call Cluster before NodeStop/NodeStart")
	}
	if clusterDir == "" {
		tb.Skip("KFK_TEST_CLUSTER_BROKERS is set without KFK_TEST_CLUSTER_DIR: cannot stop or start its nodes")
	}
	return clusterDir
}

// NodeStop stops node (1..3) of the cluster: a clean shutdown, or SIGKILL
// when kill is set.
func NodeStop(tb testing.TB, node int, kill bool) {
	tb.Helper()
	args := []string{"node-stop", strconv.Itoa(node), "--dir", nodeDir(tb)}
	if kill {
		args = append(args, "--kill")
	}
	if _, err := run(args...); err != nil {
		tb.Fatal(err)
	}
}

// NodeStart restarts node (1..3) with its data and waits until it serves
// again (registered and unfenced).
func NodeStart(tb testing.TB, node int) {
	tb.Helper()
	if _, err := run("node-start", strconv.Itoa(node), "--dir", nodeDir(tb)); err != nil {
		tb.Fatal(err)
	}
}

// NodeFor maps a broker address of the cluster to its node number (1..3),
// or -1.
func NodeFor(addr string) int {
	clusterMu.Lock()
	defer clusterMu.Unlock()
	for i, b := range clusterBrokers {
		if b == addr {
			return i + 1
		}
	}
	return -1
}

// Main runs the tests and stops the broker and cluster this binary started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops what Brokers and Cluster started (Main calls it).
func Stop() {
	mu.Lock()
	for _, dir := range []string{started, compatStarted} {
		if dir != "" {
			run("stop", "--dir", dir)
			os.RemoveAll(dir)
		}
	}
	started, env, compatStarted, compatEnv = "", nil, "", nil
	mu.Unlock()
	clusterMu.Lock()
	if clusterOwned {
		run("cluster-stop", "--dir", clusterDir)
		os.RemoveAll(clusterDir)
		clusterOwned, clusterBrokers, clusterDir = false, nil, ""
	}
	clusterMu.Unlock()
}

// HostPort splits the first address of addrs; no address skips the test.
func HostPort(tb testing.TB, addrs []string) (string, int) {
	tb.Helper()
	if len(addrs) == 0 {
		tb.Skip("no broker address for this listener")
	}
	h, p, err := net.SplitHostPort(addrs[0])
	if err != nil {
		tb.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		tb.Fatal(err)
	}
	return h, port
}

// UniqueTopic is a fresh, legal topic name for one test: the prefix, the
// test's name and a counter.
func UniqueTopic(tb testing.TB, prefix string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, tb.Name())
	if len(name) > 150 { // topic names stop at 249 characters
		name = name[len(name)-150:]
	}
	return fmt.Sprintf("%s-%s-%d-%d", prefix, name, time.Now().UnixNano()%1e9, seq.Add(1))
}
