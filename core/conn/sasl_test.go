package conn_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"
)

// saslServer is a fake broker that speaks just enough Kafka for a client
// to authenticate: ApiVersions, SaslHandshake, SaslAuthenticate. Each
// SaslAuthenticate request is answered by reply, which gets the client's
// bytes and returns the server's (or an error code).
type saslServer struct {
	ln    net.Listener
	reply func(step int, client []byte) (server []byte, code int16)
}

func newSASLServer(t *testing.T, reply func(step int, client []byte) ([]byte, int16)) *saslServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &saslServer{ln: ln, reply: reply}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *saslServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *saslServer) serve(c net.Conn) {
	defer c.Close()
	step := 0
	for {
		var size [4]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		frame := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(c, frame); err != nil {
			return
		}
		key := int16(binary.BigEndian.Uint16(frame))
		version := int16(binary.BigEndian.Uint16(frame[2:]))
		corr := frame[4:8]
		req := kmsg.RequestForKey(key)
		req.SetVersion(version)
		body := frame[10+int(binary.BigEndian.Uint16(frame[8:])):] // after the client id
		if req.IsFlexible() {
			body = body[1:] // the fake client never sends header tags
		}
		if err := req.ReadFrom(body); err != nil {
			return
		}
		var resp kmsg.Response
		switch r := req.(type) {
		case *kmsg.ApiVersionsRequest:
			av := kmsg.NewPtrApiVersionsResponse()
			for _, k := range []struct{ key, max int16 }{{18, 3}, {17, 1}, {36, 2}, {3, 12}} {
				v := kmsg.NewApiVersionsResponseApiKey()
				v.ApiKey, v.MaxVersion = k.key, k.max
				av.ApiKeys = append(av.ApiKeys, v)
			}
			resp = av
		case *kmsg.SASLHandshakeRequest:
			hs := kmsg.NewPtrSASLHandshakeResponse()
			hs.SupportedMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"}
			resp = hs
		case *kmsg.SASLAuthenticateRequest:
			out, code := s.reply(step, r.SASLAuthBytes)
			step++
			a := kmsg.NewPtrSASLAuthenticateResponse()
			a.SASLAuthBytes, a.ErrorCode = out, code
			if code != 0 {
				a.ErrorMessage = kmsg.StringPtr("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
			}
			resp = a
		default:
			return
		}
		resp.SetVersion(version)
		out := append([]byte{0, 0, 0, 0}, corr...)
		if resp.IsFlexible() && key != 18 {
			out = append(out, 0)
		}
		out = resp.AppendTo(out)
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// scramServer answers as a real SCRAM-SHA-256 server knowing user/pass,
// then lets final change its last message.
func scramServer(t *testing.T, user, pass string, final func(string) string) func(int, []byte) ([]byte, int16) {
	kf := scram.KeyFactors{Salt: "kfk-test-salt", Iters: 4096}
	client, err := scram.SHA256.NewClient(user, pass, "")
	if err != nil {
		t.Fatal(err)
	}
	stored := client.GetStoredCredentials(kf)
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return stored, nil })
	if err != nil {
		t.Fatal(err)
	}
	conv := srv.NewConversation()
	return func(step int, in []byte) ([]byte, int16) {
		out, err := conv.Step(string(in))
		if err != nil {
			return nil, 58 // SASL_AUTHENTICATION_FAILED
		}
		if step == 1 && final != nil {
			out = final(out)
		}
		return []byte(out), 0
	}
}

// dialSASL connects with SCRAM-SHA-256 as user/pass and returns the
// outcome and how long it took.
func dialSASL(t *testing.T, port int, user, pass string) (error, time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	c := conn.New(conn.Options{SASL: &conn.SASL{Mechanism: "SCRAM-SHA-256", Username: user, Password: pass}},
		conn.Handler{OnConnect: func() { done <- nil }, OnError: func(err error) { done <- err }})
	defer c.Close()
	start := time.Now()
	c.Connect("127.0.0.1", port, 10*time.Second)
	select {
	case err := <-done:
		return err, time.Since(start)
	case <-time.After(30 * time.Second):
		t.Fatal("SASL connect never completed")
		return nil, 0
	}
}

// noSecret fails the test if err's text shows the password.
func noSecret(t *testing.T, err error, pass string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), pass) {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestSCRAMAgainstAFakeServer(t *testing.T) {
	const user, pass = "alice", "correct-horse-battery"

	// The fake server knows the password: authentication succeeds, which
	// shows the fake speaks SCRAM well enough for the refusals below.
	ok := newSASLServer(t, scramServer(t, user, pass, nil))
	if err, _ := dialSASL(t, ok.port(), user, pass); err != nil {
		t.Fatalf("right password: %v", err)
	}

	// A wrong password: the server refuses and says why.
	wrong := "wrong-" + pass
	srv := newSASLServer(t, scramServer(t, user, pass, nil))
	err, _ := dialSASL(t, srv.port(), user, wrong)
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "invalid credentials") {
		t.Fatalf("wrong password: %v", err)
	}
	noSecret(t, err, wrong)

	// A server that does not know the password but accepts the proof and
	// forges its signature is caught by the client.
	forged := newSASLServer(t, scramServer(t, user, pass, func(final string) string {
		return "v=" + strings.Repeat("A", 43) + "="
	}))
	err, _ = dialSASL(t, forged.port(), user, pass)
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("forged server signature: %v", err)
	}
	noSecret(t, err, pass)
	kafkatest.Report(t, "security", "SCRAM-SHA-256 against a fake server: right password accepted, wrong password and forged server signature refused, no password in errors",
		map[string]int64{"handshakes": 3})
}

// A hostile server cannot make the client burn CPU with a huge iteration
// count, nor memory with a huge reply.
func TestSCRAMHostileServerIsBounded(t *testing.T) {
	const user, pass = "alice", "correct-horse-battery"
	serverFirst := func(iters string) func(int, []byte) ([]byte, int16) {
		return func(step int, in []byte) ([]byte, int16) {
			_, nonce, _ := strings.Cut(string(in), ",r=")
			return []byte(fmt.Sprintf("r=%sserver,s=c2FsdA==,i=%s", nonce, iters)), 0
		}
	}
	for _, iters := range []string{"1000000000", "2147483648", "99999999999999999999", "-1", "0", "x"} {
		srv := newSASLServer(t, serverFirst(iters))
		err, took := dialSASL(t, srv.port(), user, pass)
		if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "iterations") {
			t.Fatalf("i=%s: %v", iters, err)
		}
		if took > 5*time.Second {
			t.Fatalf("i=%s took %v to refuse", iters, took)
		}
		noSecret(t, err, pass)
	}

	// A 2 MiB server-first message is refused before it is read whole.
	huge := newSASLServer(t, func(step int, in []byte) ([]byte, int16) {
		return []byte(strings.Repeat("r", 2<<20)), 0
	})
	if err, _ := dialSASL(t, huge.port(), user, pass); !errors.Is(err, conn.ErrProtocol) && !errors.Is(err, conn.ErrSASL) {
		t.Fatalf("2 MiB server message: %v", err)
	}
	kafkatest.Report(t, "security", "hostile SCRAM server: huge, overflowing, zero, negative and junk iteration counts refused at once (limit 65536); a 2 MiB reply refused",
		map[string]int64{"hostile replies": 7})
}

// Printing SASL settings, with any verb, never shows the password.
func TestSASLSettingsNeverPrintThePassword(t *testing.T) {
	s := &conn.SASL{Mechanism: "SCRAM-SHA-512", Username: "bob", Password: "s3cr3t-value"}
	opts := conn.Options{SASL: s}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{s, *s, opts, &opts} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, s.Password) {
				t.Errorf("%s of %T shows the password: %s", verb, v, out)
			}
		}
	}
}

// dialOAuth connects with OAUTHBEARER and token, returning the outcome.
func dialOAuth(t *testing.T, port int, token conn.OAuthToken) error {
	t.Helper()
	done := make(chan error, 1)
	c := conn.New(conn.Options{SASL: &conn.SASL{Mechanism: conn.MechanismOAuthBearer,
		Token: func() (conn.OAuthToken, error) { return token, nil }}},
		conn.Handler{OnConnect: func() { done <- nil }, OnError: func(err error) { done <- err }})
	defer c.Close()
	c.Connect("127.0.0.1", port, 10*time.Second)
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("OAUTHBEARER connect never completed")
		return nil
	}
}

// The client's OAUTHBEARER message is RFC 7628's: the GS2 header, the
// token, the extensions in name order, each pair ended by \x01. A server
// that refuses the token sends an error challenge; the client answers
// with a lone \x01 and reports the challenge. Extension names KIP-342
// forbids are refused before anything is sent.
func TestOAuthBearerMessagesAgainstAFakeServer(t *testing.T) {
	var got [][]byte
	accepting := newSASLServer(t, func(step int, in []byte) ([]byte, int16) {
		got = append(got, in)
		return nil, 0
	})
	tok := conn.OAuthToken{Value: "tok.en.", Extensions: map[string]string{"traceId": "t-1", "Tenant": "blue"}}
	if err := dialOAuth(t, accepting.port(), tok); err != nil {
		t.Fatal(err)
	}
	if want := "n,,\x01auth=Bearer tok.en.\x01Tenant=blue\x01traceId=t-1\x01\x01"; len(got) != 1 || string(got[0]) != want {
		t.Fatalf("client messages %q, want [%q]", got, want)
	}

	var answers [][]byte
	refusing := newSASLServer(t, func(step int, in []byte) ([]byte, int16) {
		answers = append(answers, in)
		if step == 0 {
			return []byte(`{"status":"invalid_token"}`), 0
		}
		return nil, 58 // SASL_AUTHENTICATION_FAILED
	})
	err := dialOAuth(t, refusing.port(), conn.OAuthToken{Value: "secret-token"})
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), `refused the token: {"status":"invalid_token"}`) {
		t.Fatalf("a refused token: %v", err)
	}
	if len(answers) != 2 || string(answers[1]) != "\x01" {
		t.Fatalf("the client's messages to an error challenge: %q", answers)
	}
	noSecret(t, err, "secret-token")

	for _, bad := range []map[string]string{{"auth": "x"}, {"trace-id": "x"}, {"ok": "\x00"}} {
		err := dialOAuth(t, accepting.port(), conn.OAuthToken{Value: "t", Extensions: bad})
		if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "extension") {
			t.Fatalf("extensions %q: %v", bad, err)
		}
	}
}
