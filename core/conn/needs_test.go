package conn_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// An ApiVersions answer without a call the connection needs (here as a
// damaged answer would have it: Produce gone) fails that attempt, and the
// next attempt, answered whole, connects. A connection that needs nothing
// takes the same answer.
func TestConnectionWithoutANeededCallIsRefused(t *testing.T) {
	f := kafkatest.Fake(t, 1)
	host, port := kafkatest.HostPort(t, f.Brokers)
	withoutProduce := func() {
		f.ControlKey(int16(kmsg.ApiVersions), func(req kmsg.Request) (kmsg.Response, error, bool) {
			resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
			resp.SetVersion(req.GetVersion())
			for _, key := range []kmsg.Key{kmsg.Fetch, kmsg.Metadata, kmsg.ApiVersions} {
				k := kmsg.NewApiVersionsResponseApiKey()
				k.ApiKey, k.MaxVersion = key.Int16(), key.Request().MaxVersion()
				resp.ApiKeys = append(resp.ApiKeys, k)
			}
			return resp, nil, true
		})
	}
	connect := func(needs []kmsg.Key) error {
		outcome := make(chan error, 1)
		c := conn.New(conn.Options{Needs: needs}, conn.Handler{
			OnConnect: func() { outcome <- nil },
			OnError:   func(err error) { outcome <- err },
		})
		defer c.Close()
		if err := c.Connect(host, port, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		return <-outcome
	}
	needs := []kmsg.Key{kmsg.Produce, kmsg.Fetch}

	withoutProduce()
	err := connect(needs)
	if !errors.Is(err, conn.ErrUnsupported) || !strings.Contains(err.Error(), "Produce") {
		t.Fatalf("an answer without Produce: %v, want ErrUnsupported naming Produce", err)
	}
	if err := connect(needs); err != nil {
		t.Fatalf("the next attempt, answered whole: %v", err)
	}
	withoutProduce()
	if err := connect(nil); err != nil {
		t.Fatalf("a connection that needs nothing: %v", err)
	}
}
