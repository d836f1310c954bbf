package kafkatest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// roundTrip sends one request frame and returns the response body after
// the correlation id, which must echo corr.
func roundTrip(t *testing.T, nc net.Conn, req []byte, corr uint32) []byte {
	t.Helper()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatal(err)
	}
	if len(body) < 4 || binary.BigEndian.Uint32(body) != corr {
		t.Fatalf("response %x does not echo correlation id %d", body, corr)
	}
	return body[4:]
}

// ApiVersions v0, encoded by hand: size, api key 18, version 0,
// correlation id 7, client id "kt", no body.
var apiVersionsV0 = []byte{0, 0, 0, 12, 0, 18, 0, 0, 0, 0, 0, 7, 0, 2, 'k', 't'}

// checkApiVersions checks a v0 response: error 0, then the API list, each
// entry key/min/max, with Produce (0), Fetch (1) and ApiVersions (18) in it.
func checkApiVersions(t *testing.T, nc net.Conn) {
	t.Helper()
	body := roundTrip(t, nc, apiVersionsV0, 7)
	if len(body) < 6 {
		t.Fatalf("short ApiVersions response %x", body)
	}
	if code := binary.BigEndian.Uint16(body); code != 0 {
		t.Fatalf("ApiVersions error code %d", code)
	}
	n := int(binary.BigEndian.Uint32(body[2:]))
	if n < 20 || len(body) != 6+6*n {
		t.Fatalf("%d APIs in a %d-byte response", n, len(body))
	}
	keys := map[uint16][2]uint16{}
	for i := 0; i < n; i++ {
		e := body[6+6*i:]
		keys[binary.BigEndian.Uint16(e)] = [2]uint16{binary.BigEndian.Uint16(e[2:]), binary.BigEndian.Uint16(e[4:])}
	}
	for _, k := range []uint16{0, 1, 18} {
		v, ok := keys[k]
		if !ok || v[0] > v[1] {
			t.Fatalf("API %d missing or bad range %v", k, v)
		}
	}
}

// The broker answers a hand-made ApiVersions v0 request on the PLAINTEXT
// listener.
func TestBrokerAnswersApiVersions(t *testing.T) {
	env := Brokers(t)
	nc, err := net.DialTimeout("tcp", env.Brokers[0], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	checkApiVersions(t, nc)
}

// The TLS listener presents a certificate for TLSHost signed by TLSCA.
func TestTLSListener(t *testing.T) {
	env := Brokers(t)
	if len(env.TLSBrokers) == 0 || env.TLSCA == "" {
		t.Skip("no TLS listener configured")
	}
	pem, err := os.ReadFile(env.TLSCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in KFK_TEST_TLS_CA")
	}
	host := env.TLSHost
	if host == "" {
		host, _ = HostPort(t, env.TLSBrokers)
	}
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", env.TLSBrokers[0],
		&tls.Config{RootCAs: pool, ServerName: host})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	checkApiVersions(t, nc)
	// The certificate is also good for 127.0.0.1.
	_, port := HostPort(t, env.TLSBrokers)
	nc2, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	nc2.Close()
}

// The SASL listener offers PLAIN and both SCRAM mechanisms
// (SaslHandshake v1, mechanism "PLAIN").
func TestSASLListenerMechanisms(t *testing.T) {
	env := Brokers(t)
	if len(env.SASLBrokers) == 0 {
		t.Skip("no SASL listener configured")
	}
	nc, err := net.DialTimeout("tcp", env.SASLBrokers[0], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := []byte{0, 0, 0, 19, 0, 17, 0, 1, 0, 0, 0, 9, 0, 2, 'k', 't', 0, 5, 'P', 'L', 'A', 'I', 'N'}
	body := roundTrip(t, nc, req, 9)
	if code := binary.BigEndian.Uint16(body); code != 0 {
		t.Fatalf("SaslHandshake error code %d", code)
	}
	var mechs []string
	n, pos := int(binary.BigEndian.Uint32(body[2:])), 6
	for i := 0; i < n; i++ {
		l := int(binary.BigEndian.Uint16(body[pos:]))
		mechs = append(mechs, string(body[pos+2:pos+2+l]))
		pos += 2 + l
	}
	for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		if !slices.Contains(mechs, m) {
			t.Errorf("mechanism %s not offered: %v", m, mechs)
		}
	}
	if env.PlainUser == "" || env.Scram256User == "" || env.Scram512User == "" {
		t.Errorf("test users missing: %+v", env)
	}
}

// The 3-node cluster: every node answers, and a node stopped with SIGKILL
// comes back with NodeStart. It needs three more JVMs, so it runs only when
// asked (KFK_TEST_CLUSTER=1) or when KFK_TEST_CLUSTER_BROKERS names one.
func TestCluster(t *testing.T) {
	if os.Getenv("KFK_TEST_CLUSTER") != "1" && os.Getenv("KFK_TEST_CLUSTER_BROKERS") == "" {
		t.Skip("set KFK_TEST_CLUSTER=1 to test the 3-node cluster")
	}
	brokers := Cluster(t)
	if len(brokers) != 3 {
		t.Fatalf("cluster brokers %v", brokers)
	}
	ping := func(addr string) {
		t.Helper()
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		checkApiVersions(t, nc)
	}
	for _, b := range brokers {
		ping(b)
	}
	if NodeFor(brokers[1]) != 2 {
		t.Fatalf("NodeFor(%s) = %d", brokers[1], NodeFor(brokers[1]))
	}
	NodeStop(t, 2, true)
	if nc, err := net.DialTimeout("tcp", brokers[1], 5*time.Second); err == nil {
		nc.Close()
		t.Fatal("node 2 still accepts connections after NodeStop")
	}
	NodeStart(t, 2)
	ping(brokers[1])
}

func TestParseEnvAndUniqueTopic(t *testing.T) {
	vars := ParseEnv([]byte("noise\nKFK_TEST_TLS_HOST=localhost\nKFK_TEST_BROKERS=127.0.0.1:1,127.0.0.1:2\n"))
	e := fromVars(func(k string) string { return vars[k] })
	if len(e.Brokers) != 2 || e.TLSHost != "localhost" || e.SASLBrokers != nil {
		t.Fatalf("parsed %+v", e)
	}
	a, b := UniqueTopic(t, "p"), UniqueTopic(t, "p")
	legal := regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	if a == b || !legal.MatchString(a) || !strings.HasPrefix(a, "p-") {
		t.Fatalf("topics %q %q", a, b)
	}
	t.Run("odd name/with spaces & signs", func(t *testing.T) {
		if n := UniqueTopic(t, "q"); !legal.MatchString(n) {
			t.Fatalf("illegal topic %q", n)
		}
	})
}

// Fake starts the brokers asked for, each answering ApiVersions, with no
// JVM (it runs under KFK_TEST_NO_BROKER=1 too), and stops them when the
// test that started them ends.
func TestFakeStartsAndStops(t *testing.T) {
	var addrs []string
	t.Run("cluster", func(t *testing.T) {
		f := Fake(t, 3)
		if len(f.Brokers) != 3 {
			t.Fatalf("brokers %v, want 3", f.Brokers)
		}
		for _, addr := range f.Brokers {
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			checkApiVersions(t, nc)
			nc.Close()
		}
		addrs = f.Brokers
	})
	for _, addr := range addrs {
		if nc, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			nc.Close()
			t.Errorf("%s still accepts connections after its test ended", addr)
		}
	}
}
