package client_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A group's offsets are set from outside it, read back, refused while it
// has a member, and the group is deleted with them.
func TestAdminAlterGroupOffsetsAndDeleteGroups(t *testing.T) {
	topic := kafkatest.CreateTopic(t, admin(t), "client", 2)
	group := "alter-" + topic
	c := newClient(t)
	alter := func(offsets ...connapi.TopicPartition) tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.AlterGroupOffsets(group, offsets, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	meta := "from-admin"
	res := alter(connapi.TopicPartition{Topic: topic, Partition: 0, Offset: 3, LeaderEpoch: -1, Metadata: &meta},
		connapi.TopicPartition{Topic: topic, Partition: 1, Offset: 5, LeaderEpoch: -1})
	if len(res.Path("partitions").Items) != 2 || res.Path("partitions", "0", "error_code").Int != 0 ||
		res.Path("partitions", "1", "error_code").Int != 0 {
		t.Fatalf("alter group offsets: %v", res)
	}
	lag, err := adminCall(t, func(cb func(tree.Value, error)) { c.GroupLag(group, cb) })
	if err != nil || lag.Path(topic+":0", "committed").Int != 3 || lag.Path(topic+":1", "committed").Int != 5 {
		t.Fatalf("committed offsets: %v %v, want 3 and 5", lag, err)
	}

	// A member joins: the group is not empty any more.
	delivered(t, newClient(t), rec(topic, 0, "", "a"))
	m := startMember(t, group, topic)
	waitFor(t, "the member consuming", func() bool { return m.count() > 0 })
	res = alter(connapi.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1})
	if code := res.Path("partitions", "0", "error_code").Int; code != int64(kerr.UnknownMemberID) {
		t.Fatalf("altering a live group's offsets: error %d, want UNKNOWN_MEMBER_ID", code)
	}
	desc, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeGroupsOperations([]string{group}, cb) })
	if err != nil || desc.Path("groups", "0", "state").Kind != tree.Str ||
		!strings.Contains(desc.Path("groups", "0", "authorized_operations").String(), "delete") {
		t.Fatalf("describe group operations: %v %v", desc, err)
	}
	deleted, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteGroups([]string{group}, cb) })
	if err != nil || deleted.Path("groups", "0", "error_code").Int != int64(kerr.NonEmptyGroup) {
		t.Fatalf("deleting a live group: %v %v", deleted, err)
	}
	m.halt()
	m.c.Unsubscribe(func(error) {})

	missing := "no-such-group-" + topic
	waitFor(t, "the group deleted once empty", func() bool {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteGroups([]string{group, missing}, cb) })
		if err != nil {
			t.Fatal(err)
		}
		if code := v.Path("groups", "1", "error_code").Int; code != int64(kerr.GroupIDNotFound) ||
			string(v.Path("groups", "1", "group_id").Bytes) != missing {
			t.Fatalf("deleting an unknown group: %v", v)
		}
		return v.Path("groups", "0", "error_code").Int == 0
	})
	lag, err = adminCall(t, func(cb func(tree.Value, error)) { c.GroupLag(group, cb) })
	if err != nil || len(lag.Items) != 0 {
		t.Fatalf("offsets of the deleted group: %v %v", lag, err)
	}
}

func TestAdminListOffsets(t *testing.T) {
	topic := kafkatest.CreateTopic(t, admin(t), "client", 2)
	c := newClient(t)
	var recs []client.Record
	for i, ts := range []int64{1000, 3000, 2000} {
		recs = append(recs, client.Record{Topic: topic, Partition: 0, Value: []byte(fmt.Sprint(i)), Timestamp: ts})
	}
	delivered(t, c, recs...)
	at := func(partition int32, spec int64) connapi.TopicPartition {
		return connapi.TopicPartition{Topic: topic, Partition: partition, Offset: spec, LeaderEpoch: -1}
	}
	v, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.ListOffsets([]connapi.TopicPartition{at(0, client.OffsetEarliest), at(0, client.OffsetLatest),
			at(0, client.OffsetMaxTimestamp), at(0, 1500), at(0, 5000), at(1, client.OffsetLatest), at(7, client.OffsetLatest),
			{Topic: "no-such-topic-" + topic, Partition: 0, Offset: client.OffsetLatest}}, 0, cb)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ code, offset, ts int64 }{{0, 0, -1}, {0, 3, -1}, {0, 1, 3000}, {0, 1, 3000}, {0, -1, -1},
		{0, 0, -1}, {int64(kerr.UnknownTopicOrPartition), -1, -1}, {int64(kerr.UnknownTopicOrPartition), -1, -1}}
	for i, w := range want {
		p := v.Path("partitions", fmt.Sprint(i))
		if p.Path("error_code").Int != w.code || p.Path("offset").Int != w.offset || p.Path("timestamp").Int != w.ts {
			t.Errorf("list offsets #%d: %v, want error %d offset %d timestamp %d", i, p, w.code, w.offset, w.ts)
		}
	}
}

func TestAdminDescribeTopicsAndElectLeaders(t *testing.T) {
	topic := kafkatest.CreateTopic(t, admin(t), "client", 3)
	c := newClient(t)
	missing := "no-such-topic-" + topic
	for _, withOps := range []bool{false, true} {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopics([]string{topic, missing}, withOps, cb) })
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]tree.Value{}
		for _, d := range v.Path("topics").Items {
			byName[string(d.Path("name").Bytes)] = d
		}
		d := byName[topic]
		if d.Path("error_code").Int != 0 || len(d.Path("partitions").Items) != 3 || d.Path("is_internal").Int != 0 ||
			len(d.Path("topic_id").Bytes) != 16 || bytes.Equal(d.Path("topic_id").Bytes, make([]byte, 16)) {
			t.Fatalf("describe topic: %v", d)
		}
		p := d.Path("partitions", "2")
		if p.Path("partition").Int != 2 || p.Path("leader").Int < 0 || len(p.Path("replicas").Items) != 1 ||
			len(p.Path("isr").Items) != 1 || len(v.Path("brokers").Items) == 0 {
			t.Fatalf("describe topic partition: %v", v)
		}
		if code := byName[missing].Path("error_code").Int; code != int64(kerr.UnknownTopicOrPartition) {
			t.Fatalf("describe a missing topic: %v", byName[missing])
		}
		ops := d.Path("authorized_operations")
		if !withOps && ops.Kind != tree.Null {
			t.Fatalf("authorized operations not asked for: %v", ops)
		}
		if withOps && !strings.Contains(ops.String(), "describe_configs") {
			t.Fatalf("authorized operations: %v", ops)
		}
	}

	// One broker: every partition's preferred replica leads already.
	v, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.ElectLeaders(client.ElectPreferred, []connapi.TopicPartition{{Topic: topic, Partition: 0}, {Topic: topic, Partition: 2}}, 10000, cb)
	})
	if err != nil || len(v.Path("partitions").Items) != 2 {
		t.Fatalf("elect leaders: %v %v", v, err)
	}
	for _, p := range v.Path("partitions").Items {
		if p.Path("error_code").Int != int64(kerr.ElectionNotNeeded) {
			t.Fatalf("elect the preferred leader: %v", p)
		}
	}
}

// The test broker runs without an authorizer: every ACL call reaches it
// and comes back SECURITY_DISABLED.
func TestAdminACLsWithoutAuthorizer(t *testing.T) {
	c := newClient(t)
	str := func(s string) *string { return &s }
	binding, err := client.ParseACL([client.ACLFields]*string{str("Topic"), str("t"), str("literal"), str("User:alice"),
		str("*"), str("READ"), str("allow")}, false)
	if err != nil {
		t.Fatal(err)
	}
	created, err := adminCall(t, func(cb func(tree.Value, error)) { c.CreateACLs([]client.ACL{binding}, cb) })
	if err != nil || created.Path("results", "0", "error_code").Int != int64(kerr.SecurityDisabled) {
		t.Fatalf("create acls: %v %v", created, err)
	}
	filter, err := client.ParseACL([client.ACLFields]*string{str("any"), nil, str("match"), nil, nil, str("any"), str("any")}, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = adminCall(t, func(cb func(tree.Value, error)) { c.DescribeACLs(filter, cb) })
	if !isCode(err, kerr.SecurityDisabled) {
		t.Fatalf("describe acls: %v, want SECURITY_DISABLED", err)
	}
	deleted, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteACLs([]client.ACL{filter}, cb) })
	if err != nil || deleted.Path("results", "0", "error_code").Int != int64(kerr.SecurityDisabled) {
		t.Fatalf("delete acls: %v %v", deleted, err)
	}
}

func TestParseACLRefusesIncompleteBindings(t *testing.T) {
	str := func(s string) *string { return &s }
	for want, f := range map[string][client.ACLFields]*string{
		"resource type \"queue\" unknown": {str("queue"), str("t"), str("literal"), str("User:a"), str("*"), str("read"), str("allow")},
		"operation missing":               {str("topic"), str("t"), str("literal"), str("User:a"), str("*"), nil, str("allow")},
		"needs a resource name":           {str("topic"), nil, str("literal"), str("User:a"), str("*"), str("read"), str("allow")},
		"cannot use \"any\"":              {str("topic"), str("t"), str("match"), str("User:a"), str("*"), str("read"), str("allow")},
	} {
		if _, err := client.ParseACL(f, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseACL: %v, want %q", err, want)
		}
	}
}

// A user created with a SCRAM credential logs in with its password (and
// not with another); deleting the credential makes the user unknown.
func TestAdminScramCredentials(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLBrokers) == 0 {
		t.Skip("the broker has no SASL listener (KFK_TEST_SASL_BROKERS)")
	}
	c := newClient(t)
	user := "kfk-" + kafkatest.UniqueTopic(t, "scram")
	password := "pass-\u00e9"
	alter := func(changes ...client.ScramCredential) (tree.Value, error) {
		return adminCall(t, func(cb func(tree.Value, error)) { c.AlterUserScramCredentials(changes, cb) })
	}
	t.Cleanup(func() { // a failed run leaves no user behind
		for _, m := range []int8{client.ScramSHA256, client.ScramSHA512} {
			adminCall(t, func(cb func(tree.Value, error)) {
				c.AlterUserScramCredentials([]client.ScramCredential{{User: user, Mechanism: m}}, cb)
			})
		}
	})
	// The broker takes one change per user and request.
	for _, cred := range []client.ScramCredential{
		{User: user, Mechanism: client.ScramSHA256, Iterations: 8192, Password: []byte(password)},
		{User: user, Mechanism: client.ScramSHA512, Iterations: 4096, Password: []byte(password), Salt: []byte("a fixed salt\x00")},
	} {
		v, err := alter(cred)
		if err != nil || len(v.Path("users").Items) != 1 || v.Path("users", "0", "error_code").Int != 0 {
			t.Fatalf("alter scram credentials: %v %v", v, err)
		}
	}
	describe := func() tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeUserScramCredentials([]string{user}, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v.Path("users", "0")
	}
	waitFor(t, "both credentials described", func() bool { return len(describe().Path("credentials").Items) == 2 })
	d := describe()
	if d.Path("credentials", "0").String() != tree.M("mechanism", tree.S("SCRAM-SHA-256"), "iterations", tree.I(8192)).String() ||
		d.Path("credentials", "1").String() != tree.M("mechanism", tree.S("SCRAM-SHA-512"), "iterations", tree.I(4096)).String() {
		t.Fatalf("described credentials: %v", d)
	}
	login := func(mechanism, pass string) error {
		return connectErr(t, env.SASLBrokers, "security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", mechanism,
			"sasl_username", user, "sasl_password", pass)
	}
	waitFor(t, "the new user logging in", func() bool { return login("SCRAM-SHA-512", password) == nil })
	if err := login("SCRAM-SHA-256", password); err != nil {
		t.Fatalf("login with SCRAM-SHA-256: %v", err)
	}
	if err := login("SCRAM-SHA-256", password+"x"); err == nil {
		t.Fatal("a wrong password logged in")
	}

	if _, err := alter(client.ScramCredential{User: user, Mechanism: client.ScramSHA256, Iterations: 100, Password: []byte("x")}); err == nil ||
		!strings.Contains(err.Error(), "4096 to 16384") {
		t.Fatalf("too few iterations: %v", err)
	}
	for _, m := range []int8{client.ScramSHA256, client.ScramSHA512} {
		v, err := alter(client.ScramCredential{User: user, Mechanism: m})
		if err != nil || v.Path("users", "0", "error_code").Int != 0 {
			t.Fatalf("delete scram credential %d: %v %v", m, v, err)
		}
	}
	waitFor(t, "the credentials gone", func() bool { return describe().Path("error_code").Int == int64(kerr.ResourceNotFound) })
}

// Broker and group configs are described and altered as topic configs
// are; validate-only changes nothing.
func TestAdminBrokerAndGroupConfigs(t *testing.T) {
	c := newClient(t)
	cluster, err := adminCall(t, c.DescribeCluster)
	if err != nil {
		t.Fatal(err)
	}
	node := fmt.Sprint(cluster.Path("brokers", "0", "node_id").Int)
	group := "cfg-" + kafkatest.UniqueTopic(t, "group")
	describe := func(res ...client.ConfigResource) tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeConfigs(res, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	broker := client.ConfigResource{Type: mustType(t, "broker"), Name: node}
	grp := client.ConfigResource{Type: mustType(t, "group"), Name: group}
	v := describe(broker, grp)
	b := v.Path("resources", "0")
	if string(b.Path("type").Bytes) != "broker" || string(b.Path("name").Bytes) != node || b.Path("error_code").Int != 0 ||
		b.Path("configs", "num.io.threads", "value").Kind != tree.Str {
		t.Fatalf("describe broker configs: %v", b)
	}
	if g := v.Path("resources", "1"); string(g.Path("type").Bytes) != "group" || g.Path("error_code").Int != 0 ||
		g.Path("configs", "consumer.session.timeout.ms").Kind != tree.Map {
		t.Fatalf("describe group configs: %v", g)
	}

	set := func(res client.ConfigResource, name, value string, validateOnly bool) tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) {
			c.IncrementalAlterConfigs([]client.ConfigChange{{Resource: res, Op: mustOp(t, "set"), Name: name, Value: &value}}, validateOnly, cb)
		})
		if err != nil || len(v.Path("resources").Items) != 1 || v.Path("resources", "0", "error_code").Int != 0 {
			t.Fatalf("set %s=%s: %v %v", name, value, v, err)
		}
		return v
	}
	set(grp, "consumer.session.timeout.ms", "50000", true)
	if s := describe(grp).Path("resources", "0", "configs", "consumer.session.timeout.ms", "source"); string(s.Bytes) == "group_config" {
		t.Fatal("a validate-only change was applied")
	}
	set(grp, "consumer.session.timeout.ms", "50000", false)
	waitFor(t, "the group config set", func() bool {
		cfg := describe(grp).Path("resources", "0", "configs", "consumer.session.timeout.ms")
		return string(cfg.Path("value").Bytes) == "50000" && string(cfg.Path("source").Bytes) == "group_config"
	})
	set(broker, "log.cleaner.threads", "2", true)

	_, err = adminCall(t, func(cb func(tree.Value, error)) {
		c.DescribeConfigs([]client.ConfigResource{{Type: mustType(t, "broker"), Name: node + "x"}}, cb)
	})
	if err == nil || !strings.Contains(err.Error(), "not a node id") {
		t.Fatalf("broker named by a non-number: %v", err)
	}
}

func mustType(t *testing.T, s string) (v kmsg.ConfigResourceType) {
	t.Helper()
	v, err := client.ParseConfigResourceType(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustOp(t *testing.T, s string) (v kmsg.IncrementalAlterConfigOp) {
	t.Helper()
	v, err := client.ParseConfigOp(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Validate-only creation checks without creating, placed creation puts
// partitions where asked, and the cluster's authorized operations come
// with its description.
func TestAdminCreateWithOptionsAndClusterOperations(t *testing.T) {
	c := newClient(t)
	topic := kafkatest.UniqueTopic(t, "validate")
	v, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.CreateTopicsWith([]connapi.NewTopic{{Name: topic, NumPartitions: 2, ReplicationFactor: 1},
			{Name: topic + "-bad", NumPartitions: 0, ReplicationFactor: 1}}, nil, 10000, true, cb)
	})
	if err != nil || v.Path("topics", "0", "error_code").Int != 0 || v.Path("topics", "1", "error_code").Int != int64(kerr.InvalidPartitions) {
		t.Fatalf("validate create topics: %v %v", v, err)
	}
	desc, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopics([]string{topic}, false, cb) })
	if err != nil || desc.Path("topics", "0", "error_code").Int != int64(kerr.UnknownTopicOrPartition) {
		t.Fatalf("the validated topic exists: %v %v", desc, err)
	}

	existing := kafkatest.CreateTopic(t, admin(t), "client", 1)
	if err := adminErr(t, func(cb func(error)) { c.CreatePartitionsWith(existing, 3, nil, 10000, true, cb) }); err != nil {
		t.Fatal(err)
	}
	if err := adminErr(t, func(cb func(error)) { c.CreatePartitionsWith(existing, 1, nil, 10000, true, cb) }); !isCode(err, kerr.InvalidPartitions) {
		t.Fatalf("validate shrinking: %v", err)
	}
	desc, err = adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopics([]string{existing}, false, cb) })
	if err != nil || len(desc.Path("topics", "0", "partitions").Items) != 1 {
		t.Fatalf("validation grew the topic: %v %v", desc, err)
	}

	// Placed: the topic's two partitions on the one broker, then a third.
	node := int32(-1)
	cluster, err := adminCall(t, c.DescribeClusterOperations)
	if err == nil {
		node = int32(cluster.Path("brokers", "0", "node_id").Int)
	}
	placed := topic + "-placed"
	v, err = adminCall(t, func(cb func(tree.Value, error)) {
		c.CreateTopicsWith([]connapi.NewTopic{{Name: placed}}, [][][]int32{{{node}, {node}}}, 10000, false, cb)
	})
	if err != nil || v.Path("topics", "0", "error_code").Int != 0 {
		t.Fatalf("create a placed topic: %v %v", v, err)
	}
	if err := adminErr(t, func(cb func(error)) { c.CreatePartitionsWith(placed, 3, [][]int32{{node}}, 10000, false, cb) }); err != nil {
		t.Fatal(err)
	}
	if err := adminErr(t, func(cb func(error)) { c.CreatePartitionsWith(placed, 4, [][]int32{{node + 100}}, 10000, false, cb) }); !isCode(err, kerr.InvalidReplicaAssignment) {
		t.Fatalf("placing a partition on a missing broker: %v", err)
	}
	desc, err = adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopics([]string{placed}, false, cb) })
	if err != nil || len(desc.Path("topics", "0", "partitions").Items) != 3 ||
		desc.Path("topics", "0", "partitions", "2", "replicas").String() != tree.Ints([]int32{node}).String() {
		t.Fatalf("the placed topic: %v %v", desc, err)
	}

	if err != nil || len(cluster.Path("brokers").Items) == 0 || !strings.Contains(cluster.Path("authorized_operations").String(), "alter_configs") {
		t.Fatalf("describe cluster operations: %v %v", cluster, err)
	}
}
