# kfk's admin calls on EV::Kafka (beyond EV::Kafka's own API): every call,
# with its error paths, against the real broker.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { diag "kafka: @_" });
wait_for(sub { my $d = shift; $kafka->connect(sub { $d->() }) });
my $topic = unique('perladmin');

my ($r, $err) = wait_for(sub { $kafka->describe_cluster(shift) });
ok(!$err && @{ $r->{brokers} } && $r->{cluster_id}, 'describe_cluster') or diag $err;

($r) = wait_for(sub { $kafka->create_topics([{ name => $topic, num_partitions => 1, replication_factor => 1,
    config => { 'retention.ms' => '7200000' } }], 10000, shift) });
is($r->{topics}[0]{error_code}, 0, 'create_topics');
($r) = wait_for(sub { $kafka->create_topics([{ name => $topic }], 10000, shift) });
is($r->{topics}[0]{error_code}, 36, 'create_topics again: TOPIC_ALREADY_EXISTS');

($r) = wait_for(sub { $kafka->describe_topic_configs([$topic], shift) });
is($r->{topics}[0]{configs}{'retention.ms'}{value}, '7200000', 'describe_topic_configs');
(undef, $err) = wait_for(sub { $kafka->alter_topic_configs($topic, { 'retention.ms' => undef, 'segment.bytes' => 1048576 }, shift) });
ok(!$err, 'alter_topic_configs') or diag $err;
# A broker applies an altered config once the controller's record reaches
# it, a moment after the alter is answered: describe until it shows.
for my $try (1 .. 100) {
    ($r) = wait_for(sub { $kafka->describe_topic_configs([$topic], shift) });
    last if ($r->{topics}[0]{configs}{'segment.bytes'}{value} // '') eq '1048576'
        && ($r->{topics}[0]{configs}{'retention.ms'}{source} // '') ne 'dynamic_topic_config';
    my $d = EV::timer(0.1, 0, sub {}); EV::run(EV::RUN_ONCE);
}
is($r->{topics}[0]{configs}{'segment.bytes'}{value}, '1048576', 'the altered config');
isnt($r->{topics}[0]{configs}{'retention.ms'}{source}, 'dynamic_topic_config', 'the reset config is a default again');
(undef, $err) = wait_for(sub { $kafka->alter_topic_configs(unique('perlnope'), { 'segment.bytes' => 1048576 }, shift) });
like($err, qr/UNKNOWN_TOPIC_OR_PARTITION|does not host/i, 'alter_topic_configs of an unknown topic fails');

(undef, $err) = wait_for(sub { $kafka->create_partitions($topic, 2, 10000, shift) });
ok(!$err, 'create_partitions') or diag $err;
(undef, $err) = wait_for(sub { $kafka->create_partitions($topic, 1, 10000, shift) });
ok($err, "create_partitions cannot shrink: $err");

wait_for(sub { $kafka->produce_many([map { { topic => $topic, value => "v$_", partition => 0 } } 1 .. 5], shift) });
($r) = wait_for(sub { $kafka->delete_records([{ topic => $topic, partition => 0, offset => 3 }], 10000, shift) });
is($r->{partitions}[0]{low_watermark}, 3, 'delete_records');

my $group = unique('perladmingroup');
my $consumed = 0;
my $member = EV::Kafka->new(brokers => "$host:$port", on_message => sub { $consumed++ });
wait_for(sub { my $d = shift; $member->connect(sub { $d->() }) });
$member->subscribe($topic, group_id => $group, auto_offset_reset => 'earliest', heartbeat_interval => 0.3);
for (1 .. 100) {
    wait_for(sub { my $d = shift; $member->poll(sub { $d->() }) });
    last if $consumed >= 2;    # what delete_records left of the five
}
is($consumed, 2, 'the member consumed what is left');
wait_for(sub { my $d = shift; $member->commit(sub { $d->() }) });

($r) = wait_for(sub { $kafka->list_groups(shift) });
ok(scalar(grep { $_->{group_id} eq $group } @{ $r->{groups} }), 'list_groups lists the group');
($r) = wait_for(sub { $kafka->describe_groups([$group], shift) });
is($r->{groups}[0]{state}, 'stable', 'describe_groups: stable');
is_deeply([sort @{ $r->{groups}[0]{members}[0]{assignment}{$topic} }], [0, 1], 'describe_groups: the assignment');
($r) = wait_for(sub { $kafka->group_lag($group, shift) });
is($r->{"$topic:0"}{committed}, 5, 'group_lag: committed offset');
is($r->{"$topic:0"}{lag}, 0, 'group_lag: no lag');
wait_for(sub { my $d = shift; $member->unsubscribe(sub { $d->() }) });
wait_for(sub { my $d = shift; $member->close(sub { $d->() }) });

($r) = wait_for(sub { $kafka->delete_topics([$topic], 10000, shift) });
is($r->{topics}[0]{error_code}, 0, 'delete_topics');
($r) = wait_for(sub { $kafka->delete_topics([$topic], 10000, shift) });
is($r->{topics}[0]{error_code}, 3, 'delete_topics again: UNKNOWN_TOPIC_OR_PARTITION');
done_testing;
