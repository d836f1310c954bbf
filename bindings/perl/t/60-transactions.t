use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $conn = connected_conn();
my ($in, $out) = (create_topic($conn, 1), create_topic($conn, 1));
my $group = unique('eosgroup');

my $seed = EV::Kafka->new(brokers => "$host:$port");
wait_for(sub { my $d = shift; $seed->connect(sub { $d->() }) });
wait_for(sub { $seed->produce_many([map { [$in, "k$_", "in$_"] } 1 .. 10], shift) });

# The EOS cookbook: consume, process, produce, commit offsets and output
# atomically.
my @consumed;
my $kafka;
$kafka = EV::Kafka->new(
    brokers          => "$host:$port",
    transactional_id => unique('perl-eos'),
    acks             => -1,
    on_message       => sub {
        my ($t, $p, $off, $key, $value) = @_;
        push @consumed, $value;
        $kafka->produce($out, $key, uc $value);
    },
);
wait_for(sub { my $d = shift; $kafka->connect(sub { $d->() }) });
$kafka->assign([{ topic => $in, partition => 0, offset => 0 }]);
$kafka->begin_transaction;
for (my $deadline = time + 60; @consumed < 10 && time < $deadline;) {
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is(scalar @consumed, 10, 'consumed the input');
my ($r, $err) = wait_for(sub { my $d = shift; $kafka->send_offsets_to_transaction($group, $d) });
ok(!$err, 'send_offsets_to_transaction') or diag $err;
($r, $err) = wait_for(sub { my $d = shift; $kafka->commit_transaction($d) });
ok(!$err, 'commit_transaction') or diag $err;
# {cfg} follows the producer's id and epoch (ending a transaction may bump it).
my ($pid, $epoch);
is(Kfk::FFI::kfk_client_producer_id($kafka->{h}, \$pid, \$epoch), 0, 'the transactional producer has an id');
is_deeply([@{ $kafka->{cfg} }{qw(producer_id producer_epoch)}], [$pid, $epoch],
    '$kafka->{cfg}{producer_id} and {producer_epoch} are the current ones after commit_transaction');

# an aborted transaction is invisible to read_committed
$kafka->begin_transaction;
$kafka->produce($out, 'x', 'ABORTED');
($r, $err) = wait_for(sub { my $d = shift; $kafka->abort_transaction($d) });
ok(!$err, 'abort_transaction') or diag $err;
Kfk::FFI::kfk_client_producer_id($kafka->{h}, \$pid, \$epoch);
is_deeply([@{ $kafka->{cfg} }{qw(producer_id producer_epoch)}], [$pid, $epoch], 'and after abort_transaction');

# Outside a transaction a transactional client sends plain idempotent
# records, as EV::Kafka does (here from inside an EV callback, where a
# croak would be swallowed and the program would hang).
($r, $err) = wait_for(sub {
    my $d = shift;
    my $t = EV::timer(0, 0, sub { $kafka->produce($out, 'o', 'OUTSIDE', $d) });
    $kafka->{cfg}{_t} = $t;
});
ok(!$err, 'produce outside a transaction is delivered') or diag $err;

# isolation_level (a kfk option beyond EV::Kafka's) picks what readers see.
# Each reads up to the record produced outside a transaction, the last one.
my %seen;
for my $isolation (qw(read_committed read_uncommitted)) {
    my $reader = EV::Kafka->new(brokers => "$host:$port", isolation_level => $isolation,
        on_message => sub { push @{ $seen{$isolation} }, $_[4] });
    wait_for(sub { my $d = shift; $reader->connect(sub { $d->() }) });
    $reader->assign([{ topic => $out, partition => 0, offset => 0 }]);
    for (my $deadline = time + 60; !grep({ $_ eq 'OUTSIDE' } @{ $seen{$isolation} // [] }) && time < $deadline;) {
        wait_for(sub { my $d = shift; $reader->poll(sub { $d->() }) });
    }
}
is(scalar @{ $seen{read_committed} }, 11, 'read_committed: every processed record and the plain one, nothing aborted');
is($seen{read_committed}[-1], 'OUTSIDE', 'read_committed: the record produced outside a transaction');
ok(!grep({ $_ eq 'ABORTED' } @{ $seen{read_committed} }), 'read_committed: the aborted record is invisible');
ok(scalar(grep { $_ eq 'ABORTED' } @{ $seen{read_uncommitted} }), 'read_uncommitted: the aborted record is visible');

my ($of) = wait_for(sub { $conn->offset_fetch($group, [$in], shift) });
is($of->{topics}[0]{partitions}[0]{offset}, 10, 'the input offsets were committed with the transaction');

eval { EV::Kafka->new(brokers => "$host:$port")->begin_transaction };
like($@, qr/KFK_ERR_STATE/, 'begin_transaction without transactional_id croaks');
done_testing;
