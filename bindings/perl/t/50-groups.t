use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
use IO::Handle;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $conn = connected_conn();
my $topic = create_topic($conn, 4);
my $group = unique('perlgroup');

my $producer = EV::Kafka->new(brokers => "$host:$port", acks => 1);
wait_for(sub { my $d = shift; $producer->connect(sub { $d->() }) });
wait_for(sub { $producer->produce_many([map { [$topic, "k$_", "v$_"] } 1 .. 200], shift) });

# Three consumer processes of one group share the four partitions; every
# message is seen at least once, and together they cover them all. Each
# notes its assignment at one moment common to all (the group is stable by
# then), and only later commits and leaves: a member's commit waits out the
# rebalance that another's leaving starts.
my $script = <<'PERL';
use strict; use warnings; use EV; use EV::Kafka; use Time::HiRes ();
my ($broker, $topic, $group, $at) = @ARGV;
my %seen; my @assigned; my $noted = '';
my $kafka = EV::Kafka->new(brokers => $broker, on_error => sub { warn "kafka: @_\n" },
    on_message => sub { my ($t, $p, $o) = @_; $seen{"$p/$o"} = 1 });
$kafka->connect(sub {
    $kafka->subscribe($topic, group_id => $group, auto_offset_reset => 'earliest', heartbeat_interval => 0.3,
        session_timeout => 10000, on_assign => sub { @assigned = map { $_->{partition} } @{ $_[0] } });
});
my $note = EV::timer($at - Time::HiRes::time(), 0, sub { $noted = join(',', sort @assigned) });
my $t = EV::timer($at + 2 - Time::HiRes::time(), 0, sub { $kafka->commit(sub { $kafka->unsubscribe(sub { EV::break }) }) });
EV::run;
print join(',', sort keys %seen), "\n", $noted, "\n";
PERL
my @kids;
my $at = time + 8;
for my $i (1 .. 3) {
    open(my $fh, '-|', $^X, (map { "-I$_" } @INC), '-e', $script, "$host:$port", $topic, $group, $at)
        or die "cannot start a consumer: $!";
    push @kids, $fh;
}
my (%all, @sizes);
for my $fh (@kids) {
    my $seen = <$fh> // '';
    my $assigned = <$fh> // '';
    chomp($seen, $assigned);
    $all{$_} = 1 for grep { length } split /,/, $seen;
    push @sizes, scalar grep { length } split /,/, $assigned;
    close $fh;
}
is(scalar keys %all, 200, 'three processes together consumed every message');
is(eval { my $s = 0; $s += $_ for @sizes; $s }, 4, 'the four partitions were divided among them') or diag "@sizes";

# Offsets were committed: a new member starts after them.
my @msgs;
my $kafka = EV::Kafka->new(brokers => "$host:$port", on_message => sub { push @msgs, [@_] });
my @assigned;
wait_for(sub {
    my $done = shift;
    $kafka->connect(sub {
        $kafka->subscribe($topic, group_id => $group, heartbeat_interval => 0.3,
            on_assign => sub { @assigned = @{ $_[0] }; $done->() });
    });
});
is(scalar @assigned, 4, 'the lone member owns every partition');
ok((grep { $_->{offset} > 0 } @assigned), 'it starts from committed offsets');
my $wait = EV::timer(1.5, 0, sub { EV::break });
EV::run;
is(scalar @msgs, 0, 'nothing committed is read again');

# new messages arrive without poll calls, through the subscription
$producer->produce($topic, 'late', 'message', { partition => 1 });
for (1 .. 100) {
    last if @msgs;
    my $t = EV::timer(0.1, 0, sub { EV::break });
    EV::run;
}
is($msgs[0][3], 'late', 'a new message reaches on_message');
my ($cerr) = wait_for(sub { my $d = shift; $kafka->commit(sub { $d->(@_) }) });
ok(!defined $cerr, 'commit reports no error');
wait_for(sub { my $d = shift; $kafka->unsubscribe(sub { $d->(1) }) });
pass('unsubscribe calls back');

# EV::Kafka starts a new group at the earliest offset unless the program
# asks for latest: what was produced before the group joined is read.
{
    my $early = create_topic($conn, 2);
    wait_for(sub { $producer->produce_many([map { [$early, "k$_", "before-$_"] } 1 .. 6], shift) });
    my @got;
    my $consumer = EV::Kafka->new(brokers => "$host:$port", on_message => sub { push @got, $_[4] });
    wait_for(sub { my $d = shift; $consumer->connect(sub { $d->() }) });
    my @starts;
    $consumer->subscribe($early, group_id => unique('perl-earliest'), heartbeat_interval => 0.3,
        on_assign => sub { @starts = @{ $_[0] } });
    for (1 .. 300) {
        last if @got >= 6;
        my $t = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    is_deeply([sort @got], [map { "before-$_" } 1 .. 6], 'subscribe without auto_offset_reset reads from the earliest offset');
    is_deeply([map { $_->{offset} } sort { $a->{partition} <=> $b->{partition} } @starts], [0, 0],
        'on_assign gets the real starting offsets, not -1/-2 placeholders');
    wait_for(sub { $consumer->close(shift) });

    # The client's own auto_offset_reset (a kfk option) still rules: with
    # latest, the first record read is one produced after joining.
    my @latest;
    my $live = EV::Kafka->new(brokers => "$host:$port", auto_offset_reset => 'latest',
        on_message => sub { push @latest, $_[4] });
    wait_for(sub { my $d = shift; $live->connect(sub { $d->() }) });
    $live->subscribe($early, group_id => unique('perl-latest'), heartbeat_interval => 0.3);
    my $n = 0;
    my $ticker = EV::timer(0.2, 0.2, sub { $producer->produce($early, undef, 'after-' . $n++, { partition => 0 }) });
    for (1 .. 300) {
        last if @latest;
        my $t = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    undef $ticker;
    like($latest[0] // '', qr/^after-/, 'a client made with auto_offset_reset => latest skips older records');
    wait_for(sub { $live->close(shift) });
}

# kfk's additions: cooperative-sticky and KIP-848's consumer protocol, each
# reading a topic through a group.
for my $kind ([partition_assignment_strategy => 'cooperative-sticky'], [group_protocol => 'consumer']) {
    my $t = create_topic($conn, 2);
    wait_for(sub { $producer->produce_many([map { [$t, "k$_", "v$_"] } 1 .. 10], shift) });
    my (@got, @assigned);
    my $member = EV::Kafka->new(brokers => "$host:$port", on_message => sub { push @got, $_[4] });
    wait_for(sub { my $d = shift; $member->connect(sub { $d->() }) });
    $member->subscribe($t, group_id => unique('perl-kinds'), @$kind, heartbeat_interval => 0.3,
        on_assign => sub { push @assigned, @{ $_[0] } });
    for (1 .. 300) {
        last if @got >= 10;
        my $tick = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    is_deeply([sort @got], [sort map { "v$_" } 1 .. 10], "$kind->[0] => $kind->[1]: every record read");
    is(scalar @assigned, 2, "$kind->[0] => $kind->[1]: on_assign got both partitions");
    wait_for(sub { $member->close(shift) });
}

done_testing;
