# The share-group admin calls on EV::Kafka against the real broker. Moving
# a new share group's start offset creates it (empty, no members), which is
# all these calls need.
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
my $topic = unique('perlshareadmin');
my $group = unique('perlsharegroup');

my ($r, $err) = wait_for(sub { $kafka->create_topics([{ name => $topic, num_partitions => 1, replication_factor => 1 }],
    10000, shift) });
is($r->{topics}[0]{error_code}, 0, 'create_topics');
wait_for(sub { $kafka->produce_many([map { { topic => $topic, value => "v$_", partition => 0 } } 1 .. 5], shift) });

($r, $err) = wait_for(sub { $kafka->alter_share_group_offsets($group, [{ topic => $topic, partition => 0, offset => 1 }], shift) });
is_deeply($r, { partitions => [{ topic => $topic, partition => 0, error_code => 0, error_message => undef }] },
    'alter_share_group_offsets') or diag $err;
($r) = wait_for(sub { $kafka->list_share_groups(['empty'], shift) });
is_deeply([grep { $_->{group_id} eq $group } @{ $r->{groups} }], [{ group_id => $group, state => 'empty' }],
    'list_share_groups: the new group, empty');
($r) = wait_for(sub { $kafka->list_share_groups(['stable'], shift) });
ok(!grep({ $_->{group_id} eq $group } @{ $r->{groups} }), 'list_share_groups: not among the stable ones');
($r) = wait_for(sub { $kafka->describe_share_groups([$group], shift) });
my $g = $r->{groups}[0];
is_deeply([@$g{qw(group_id error_code state members)}], [$group, 0, 'empty', []], 'describe_share_groups');
($r) = wait_for(sub { $kafka->share_group_offsets($group, shift) });
is_deeply($r, { "$topic:0" => { start_offset => 1, latest => 5, lag => 4 } }, 'share_group_offsets');

($r) = wait_for(sub { $kafka->delete_share_group_offsets($group, [$topic], shift) });
is_deeply($r, { topics => [{ topic => $topic, error_code => 0, error_message => undef }] }, 'delete_share_group_offsets');
($r) = wait_for(sub { $kafka->share_group_offsets($group, shift) });
is_deeply($r, {}, 'no share offsets left');

my $unknown = unique('perlnosuchgroup');
($r) = wait_for(sub { $kafka->delete_groups([$group, $unknown], shift) });
is_deeply([map { [$_->{group_id}, $_->{error_code}] } @{ $r->{groups} }], [[$group, 0], [$unknown, 69]],
    'delete_groups: deleted, then GROUP_ID_NOT_FOUND');
(undef, $err) = wait_for(sub { $kafka->delete_share_group_offsets($group, [$topic], shift) });
like($err, qr/GROUP_ID_NOT_FOUND.*\Q$group\E/, 'a deleted group has no offsets to delete');
ok(!eval { $kafka->describe_share_groups([], sub {}); 1 }, 'describe_share_groups of no group croaks');
like($@, qr/describe_share_groups: KFK_ERR_INVALID_ARG/, '... naming the call');

wait_for(sub { $kafka->delete_topics([$topic], 10000, shift) });
done_testing;
