package client_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// kerberosEnv is the broker's GSSAPI listener and the test KDC's realm.
func kerberosEnv(t *testing.T) kafkatest.Env {
	t.Helper()
	env := kafkatest.Brokers(t)
	if len(env.GSSAPIBrokers) == 0 {
		// The test script gives its broker the listener whenever MIT
		// Kerberos is installed: then a broker without it is a defect,
		// not a reason to skip.
		if _, err := exec.LookPath("krb5kdc"); err == nil && env.KafkaVersion != "" {
			t.Fatal("the test broker has no GSSAPI listener though the KDC is installed")
		}
		t.Skip("the broker has no GSSAPI listener (KFK_TEST_GSSAPI_BROKERS; make deps installs the KDC)")
	}
	return env
}

// gssapiOptions are the options of a client of the test realm, then kv.
func gssapiOptions(env kafkatest.Env, kv ...string) []string {
	return append([]string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "GSSAPI",
		"sasl.kerberos.service.name", env.KRB5Service, "sasl_kerberos_config", env.KRB5Config}, kv...)
}

// Records go out and come back through the GSSAPI listener with each way
// of logging in: a keytab, a password, and the credential cache kinit
// filled.
func TestGSSAPIProducesAndConsumes(t *testing.T) {
	env := kerberosEnv(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	kinit, err := exec.LookPath("kinit")
	if err != nil {
		t.Fatal("kinit is missing (make deps installs it with the KDC)")
	}
	cache := filepath.Join(t.TempDir(), "ccache")
	cmd := exec.Command(kinit, "-k", "-t", env.KRB5Keytab, "-c", "FILE:"+cache, env.KRB5Principal)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+env.KRB5Config)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v: %s", err, out)
	}
	logins := map[string][]string{
		"keytab":   {"sasl.kerberos.keytab", env.KRB5Keytab, "sasl.kerberos.principal", env.KRB5Principal},
		"password": {"sasl_username", env.KRB5User, "sasl_password", env.KRB5Pass},
		"ccache":   {"sasl_kerberos_ccache", cache},
	}
	for name, kv := range logins {
		t.Run(name, func(t *testing.T) {
			c := kafkatest.Client(t, env.GSSAPIBrokers, client.Handler{}, gssapiOptions(env, kv...)...)
			readsBack(t, c, topic, name, "via "+name)
		})
	}
}

// Logins the KDC or the broker refuse fail the connect with a reason that
// says which part failed, never with the password, and without a hang.
func TestGSSAPIRefusalsAreClear(t *testing.T) {
	env := kerberosEnv(t)
	const wrong = "not-the-password"
	cases := []struct {
		name string
		kv   []string
		want string
	}{
		{"wrong password", []string{"sasl_username", env.KRB5User, "sasl_password", wrong}, "Kerberos login of " + env.KRB5User},
		{"unknown service", []string{"sasl.kerberos.keytab", env.KRB5Keytab, "sasl.kerberos.service.name", "nosuchservice"},
			"getting a Kerberos ticket for nosuchservice/localhost"},
		{"missing keytab", []string{"sasl.kerberos.keytab", filepath.Join(t.TempDir(), "none.keytab")}, "reading the keytab"},
		{"empty credential cache", []string{"sasl_kerberos_ccache", filepath.Join(t.TempDir(), "none")}, "run kinit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := connectErr(t, env.GSSAPIBrokers, gssapiOptions(env, tc.kv...)...)
			if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an authentication error saying %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), wrong) {
				t.Fatalf("the password appears in the error: %v", err)
			}
		})
	}
}

// A client's options name every part of a Kerberos login, in kfk's
// spelling and librdkafka's.
func TestGSSAPIOptions(t *testing.T) {
	cfg := client.NewConfig()
	for _, kv := range [][2]string{{"sasl.mechanisms", "gssapi"}, {"sasl.kerberos.service.name", "svc"},
		{"sasl.kerberos.principal", "me@R"}, {"sasl.kerberos.keytab", "/k"}, {"sasl_kerberos_config", "/c"},
		{"sasl_kerberos_ccache", "/cc"}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("%s: %v", kv[0], err)
		}
	}
	k := cfg.Kerberos
	if cfg.SASL.Mechanism != conn.MechanismGSSAPI || k.ServiceName != "svc" || k.Principal != "me@R" ||
		k.Keytab != "/k" || k.ConfigFile != "/c" || k.CCache != "/cc" {
		t.Fatalf("the options set %+v %+v", cfg.SASL, k)
	}
	if err := cfg.Set("sasl_mechanism", "KERBEROS"); err == nil || !strings.Contains(err.Error(), "GSSAPI") {
		t.Fatalf("an unknown mechanism: %v", err)
	}
	// Without SASL they do nothing, as librdkafka's: the client is made.
	plain := client.NewConfig()
	if err := plain.Set("sasl.kerberos.service.name", "svc"); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(*plain, client.Handler{})
	if err != nil {
		t.Fatalf("a Kerberos option without SASL: %v", err)
	}
	c.Close(time.Second, nil)
}
