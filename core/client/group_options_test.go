package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
)

// Subscribe options have one parser, in core, with the same rules as the
// client's options: kfk's names and the Java/librdkafka ones, librdkafka's
// value spellings, and errors that name the key.
func TestGroupOptionsSet(t *testing.T) {
	o := client.NewGroupOptions()
	for _, kv := range [][2]string{{"group.id", "g"}, {"session_timeout_ms", "12000"}, {"max.poll.interval.ms", "90000"},
		{"heartbeat.interval.ms", "500"}, {"enable.auto.commit", "false"}, {"auto.offset.reset", "beginning"},
		{"group.instance.id", "pod-1"}, {"partition.assignment.strategy", "range"}} {
		if err := o.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("%s=%s: %v", kv[0], kv[1], err)
		}
	}
	if o.GroupID != "g" || o.SessionTimeout != 12*time.Second || o.RebalanceTimeout != 90*time.Second ||
		o.HeartbeatInterval != 500*time.Millisecond || o.AutoCommit || o.AutoOffsetReset != "earliest" ||
		o.InstanceID != "pod-1" || o.Assignor != "range" {
		t.Fatalf("options %+v", o)
	}
	if err := o.Set("auto_commit", "yes"); err != nil || !o.AutoCommit {
		t.Fatalf("auto_commit=yes: %v (%v)", err, o.AutoCommit)
	}
	if err := o.Set("auto_offset_reset", "largest"); err != nil || o.AutoOffsetReset != "latest" {
		t.Fatalf("auto_offset_reset=largest: %v (%q)", err, o.AutoOffsetReset)
	}
	for _, kv := range [][2]string{{"session_timeout_ms", "-5"}, {"auto_commit", "maybe"}, {"auto.offset.reset", "middle"},
		{"no_such_option", "1"}} {
		var ce *client.ConfigError
		if err := o.Set(kv[0], kv[1]); !errors.As(err, &ce) || ce.Key == "" {
			t.Fatalf("%s=%s: %v, want a ConfigError naming the key", kv[0], kv[1], err)
		}
	}
}
