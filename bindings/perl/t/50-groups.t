use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
use IO::Handle;
use IPC::Open2;
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
# reports its assignments and the messages it reads; once the group is
# stable and every message was read, the test closes their stdin and they
# commit and leave together (a member's commit waits out the rebalance
# that another's leaving starts).
my $script = <<'PERL';
use strict; use warnings; use EV; use EV::Kafka; use IO::Handle;
my ($broker, $topic, $group) = @ARGV;
STDOUT->autoflush(1);
my $kafka = EV::Kafka->new(brokers => $broker, on_error => sub { warn "kafka: @_\n" },
    on_message => sub { my ($t, $p, $o) = @_; print "seen $p/$o\n" });
$kafka->connect(sub {
    $kafka->subscribe($topic, group_id => $group, auto_offset_reset => 'earliest', heartbeat_interval => 0.3,
        session_timeout => 10000,
        on_assign => sub { print 'assigned ', join(',', sort map { $_->{partition} } @{ $_[0] }), "\n" });
});
my $stdin;
$stdin = EV::io(\*STDIN, EV::READ, sub {
    return if sysread(STDIN, my $buf, 64);
    undef $stdin;
    $kafka->commit(sub { $kafka->unsubscribe(sub { EV::break }) });
});
EV::run;
PERL
# Each kid's latest assignment and everything the kids read, from their
# output as it comes.
my (@kids, %all);
for my $i (0 .. 2) {
    my $pid = open2(my $out, my $in, $^X, (map { "-I$_" } @INC), '-e', $script, "$host:$port", $topic, $group);
    my $kid = { pid => $pid, in => $in, out => $out, buf => '', assigned => undef };
    $kid->{watch} = EV::io($out, EV::READ, sub {
        if (!sysread($out, $kid->{buf}, 65536, length $kid->{buf})) {
            undef $kid->{watch};
            return;
        }
        while ($kid->{buf} =~ s/^(.*)\n//) {
            my $line = $1;
            $all{$1} = 1 if $line =~ /^seen (\S+)$/;
            $kid->{assigned} = [split /,/, $1 // ''] if $line =~ /^assigned ?(\S*)$/;
        }
    });
    push @kids, $kid;
}
# Runs the loop until $cond holds (checked every 100 ms) or 90 s pass.
sub loop_until {
    my ($cond) = @_;
    for (1 .. 900) {
        return 1 if $cond->();
        my $tick = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    return $cond->();
}
# Stable: the three latest assignments divide the four partitions (two of
# one generation and one of another cannot), and the coordinator agrees.
my $divided = sub {
    my @parts = map { @{ $_->{assigned} // [] } } @kids;
    my %distinct = map { $_ => 1 } @parts;
    return (grep { !@{ $_->{assigned} // [] } } @kids) == 0 && @parts == 4 && keys %distinct == 4;
};
my $stable = loop_until(sub {
    return 0 unless $divided->();
    my ($r) = wait_for(sub { $producer->describe_groups([$group], shift) });
    return $r && $r->{groups}[0]{state} eq 'stable' && @{ $r->{groups}[0]{members} } == 3 && $divided->();
});
my @sizes = map { scalar @{ $_->{assigned} // [] } } @kids;
ok($stable, 'the three processes formed a stable group') or diag join ' ', map { "[@{ $_->{assigned} // [] }]" } @kids;
loop_until(sub { keys %all >= 200 });
close $_->{in} for @kids;
ok(loop_until(sub { !grep { $_->{watch} } @kids }), 'the three processes committed and left');
kill 'KILL', $_->{pid} for grep { $_->{watch} } @kids;    # not left: no hanging on them
waitpid $_->{pid}, 0 for @kids;
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

# New messages arrive without poll calls, through the subscription; one on
# each partition marks its end: a committed message read again would come
# before it.
$producer->produce($topic, 'late', 'message', { partition => $_ }) for 0 .. 3;
for (1 .. 600) {
    last if (grep { $_->[3] eq 'late' } @msgs) == 4;
    my $t = EV::timer(0.1, 0, sub { EV::break });
    EV::run;
}
is((grep { $_->[3] eq 'late' } @msgs), 4, 'a new message on each partition reaches on_message');
is(scalar @msgs, 4, 'nothing committed is read again') or diag explain [map { "$_->[1]/$_->[2]" } @msgs];
my ($cerr) = wait_for(sub { my $d = shift; $kafka->commit(sub { $d->(@_) }) });
ok(!defined $cerr, 'commit reports no error');
wait_for(sub { my $d = shift; $kafka->unsubscribe(sub { $d->(1) }) });
pass('unsubscribe calls back');
# no group left: commit calls back with no error, as EV::Kafka's does
my @after = wait_for(sub { my $d = shift; $kafka->commit(sub { $d->('called', @_) }) });
is_deeply(\@after, ['called'], 'commit after unsubscribe: $cb->() with no error');

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
