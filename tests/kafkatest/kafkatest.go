// Package kafkatest gives Go tests a real Kafka broker: the one named by
// KFK_TEST_BROKERS (and the other KFK_TEST_* variables) when set, otherwise
// a single node started once per test binary by tests/kafka/kafka and
// stopped by Main. KFK_TEST_NO_BROKER=1 skips broker tests instead.
package kafkatest

import (
	"bufio"
	"bytes"
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

// Env is the broker's addresses and test credentials.
type Env struct {
	Brokers      []string // PLAINTEXT host:port
	SASLBrokers  []string
	TLSBrokers   []string
	TLSCA        string
	PlainUser    string
	PlainPass    string
	Scram256User string
	Scram256Pass string
	Scram512User string
	Scram512Pass string
}

// HostPort splits the first address of addrs.
func HostPort(tb testing.TB, addrs []string) (string, int) {
	tb.Helper()
	if len(addrs) == 0 {
		tb.Skip("no broker address for this listener")
	}
	h, p, err := net.SplitHostPort(addrs[0])
	if err != nil {
		tb.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return h, port
}

var (
	mu      sync.Mutex
	started string // state dir of a broker this binary started
	env     *Env
	seq     atomic.Int64
)

func script() string {
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
		Brokers: split(get("KFK_TEST_BROKERS")), SASLBrokers: split(get("KFK_TEST_SASL_BROKERS")),
		TLSBrokers: split(get("KFK_TEST_TLS_BROKERS")), TLSCA: get("KFK_TEST_TLS_CA"),
		PlainUser: get("KFK_TEST_PLAIN_USER"), PlainPass: get("KFK_TEST_PLAIN_PASS"),
		Scram256User: get("KFK_TEST_SCRAM256_USER"), Scram256Pass: get("KFK_TEST_SCRAM256_PASS"),
		Scram512User: get("KFK_TEST_SCRAM512_USER"), Scram512Pass: get("KFK_TEST_SCRAM512_PASS"),
	}
}

// Brokers returns the test broker, starting one if needed.
func Brokers(tb testing.TB) Env {
	tb.Helper()
	if os.Getenv("KFK_TEST_NO_BROKER") == "1" {
		tb.Skip("KFK_TEST_NO_BROKER=1")
	}
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
	out, err := exec.Command(script(), "start", "--dir", dir).Output()
	if err != nil {
		tb.Fatalf("starting a Kafka broker: %v\n%s", err, exitStderr(err))
	}
	started = dir
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = v
		}
	}
	env = fromVars(func(k string) string { return vars[k] })
	return *env
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// Main runs the tests and stops a broker that Brokers started.
func Main(m *testing.M) {
	code := m.Run()
	stopCluster()
	mu.Lock()
	if started != "" {
		exec.Command(script(), "stop", "--dir", started).Run()
		os.RemoveAll(started)
	}
	mu.Unlock()
	os.Exit(code)
}

// UniqueTopic is a fresh topic name for one test.
func UniqueTopic(tb testing.TB, prefix string) string {
	return fmt.Sprintf("%s-%s-%d-%d", prefix, strings.ReplaceAll(tb.Name(), "/", "-"), time.Now().UnixNano()%1e9, seq.Add(1))
}

var (
	clusterMu      sync.Mutex
	clusterDir     string
	clusterBrokers []string
	clusterOwned   bool
)

// Cluster returns a 3-node cluster: the one named by
// KFK_TEST_CLUSTER_BROKERS and KFK_TEST_CLUSTER_DIR (the folder given to
// `kafka cluster-start --dir`, needed to stop nodes), or one started for
// this test binary and stopped by Main.
func Cluster(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv("KFK_TEST_NO_BROKER") == "1" {
		tb.Skip("KFK_TEST_NO_BROKER=1")
	}
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterBrokers != nil {
		return clusterBrokers
	}
	if b, d := os.Getenv("KFK_TEST_CLUSTER_BROKERS"), os.Getenv("KFK_TEST_CLUSTER_DIR"); b != "" && d != "" {
		clusterBrokers, clusterDir = split(b), d
		return clusterBrokers
	}
	dir, err := os.MkdirTemp("", "kfk-gotest-cluster")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(script(), "cluster-start", "--dir", dir).Output()
	if err != nil {
		tb.Fatalf("starting a 3-node cluster: %v\n%s", err, exitStderr(err))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "KFK_TEST_CLUSTER_BROKERS="); ok {
			clusterBrokers = split(v)
		}
	}
	clusterDir, clusterOwned = dir, true
	return clusterBrokers
}

// NodeStop stops node (1..3) of the cluster; kill sends SIGKILL.
func NodeStop(tb testing.TB, node int, kill bool) {
	tb.Helper()
	args := []string{"node-stop", strconv.Itoa(node), "--dir", clusterDir}
	if kill {
		args = append(args, "--kill")
	}
	if out, err := exec.Command(script(), args...).CombinedOutput(); err != nil {
		tb.Fatalf("node-stop %d: %v\n%s", node, err, out)
	}
}

// NodeStart restarts node (1..3) with its data and waits until it serves.
func NodeStart(tb testing.TB, node int) {
	tb.Helper()
	if out, err := exec.Command(script(), "node-start", strconv.Itoa(node), "--dir", clusterDir).CombinedOutput(); err != nil {
		tb.Fatalf("node-start %d: %v\n%s", node, err, out)
	}
}

// NodeFor maps a broker address of the cluster to its node number (1..3).
func NodeFor(addr string) int {
	for i, b := range clusterBrokers {
		if b == addr {
			return i + 1
		}
	}
	return -1
}

func stopCluster() {
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterOwned {
		exec.Command(script(), "cluster-stop", "--dir", clusterDir).Run()
		os.RemoveAll(clusterDir)
	}
}
