# Share groups (KIP-932) through EV::Kafka: members reading one topic
# together, each record accepted once; a released record delivered again
# with its delivery count; a rejected one never again; bytes through the
# share path; and the calls' refusals.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $conn = connected_conn();

my $producer = EV::Kafka->new(brokers => "$host:$port", acks => -1);
wait_for(sub { my $d = shift; $producer->connect(sub { $d->() }) });

sub new_client {
    my $c = EV::Kafka->new(brokers => "$host:$port", on_error => sub { diag "kafka: @_" }, @_);
    wait_for(sub { my $d = shift; $c->connect(sub { $d->() }) });
    return $c;
}

# Runs the loop until $cond is true (60 s at most); returns whether it became so.
sub run_until {
    my ($cond) = @_;
    for (1 .. 600) {
        return 1 if $cond->();
        my $t = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    return $cond->();
}

sub produce_all {
    my ($messages) = @_;
    my $errors = wait_for(sub { $producer->produce_many($messages, shift) });
    ok(!$errors, 'produced ' . @$messages . ' records') or diag explain $errors;
}

# A topic, and a share group reading it from its earliest record.
sub share_setup {
    my ($partitions) = @_;
    my $topic = create_topic($conn, $partitions);
    my $group = unique('perlshare');
    share_group_from_earliest($conn, $group);
    return ($topic, $group);
}

# ---- errors that need no subscription -----------------------------------
{
    my $c = new_client();
    my $record = { topic => 't', partition => 0, offset => 0 };
    eval { $c->share_acknowledge($record, 'accept') };
    like($@, qr/^share_acknowledge t \[0\] \@0: not subscribed to a share group at \Q$0\E/,
        'share_acknowledge without a subscription croaks, naming the caller');
    eval { $c->share_acknowledge($record, 'maybe') };
    like($@, qr/unknown acknowledgement type 'maybe' \(accept, release or reject\)/, 'a bad type croaks naming it');
    eval { $c->share_acknowledge('t', 0, 'accept') };
    like($@, qr/expected \(\$record, \$type\) or \(\$topic, \$partition, \$offset, \$type\)/,
        'a record that is neither a hash nor topic, partition, offset croaks');
    eval { $c->share_subscribe('t', group_id => 'g', acknowledgement_mode => 'sometimes', on_record => sub { }) };
    like($@, qr/acknowledgement_mode must be implicit or explicit, not 'sometimes'/, 'a bad mode croaks naming it');
    eval { $c->share_subscribe('t', group_id => 'g', on_record => sub { }, lock_ms => 5) };
    like($@, qr/unknown option 'lock_ms'/, 'an unknown option croaks naming it');
    eval { $c->share_subscribe('t', on_record => sub { }) };
    like($@, qr/group_id is required/, 'group_id is required');
    eval { $c->share_subscribe(group_id => 'g', on_record => sub { }) };
    like($@, qr/at least one topic/, 'a topic is required');
    eval { $c->share_subscribe('t', group_id => 'g') };
    like($@, qr/on_record must be a code reference/, 'on_record is required');
    my ($res, $err) = wait_for(sub { $c->share_commit(shift) });
    like($err, qr/not subscribed to a share group/, 'share_commit without a subscription reports it');
    wait_for(sub { $c->close(shift) });
}

# ---- three members accept every record exactly once together --------------
{
    my ($topic, $group) = share_setup(2);
    my $n = 300;
    produce_all([map { [$topic, "k$_", "v$_", { partition => $_ % 2 }] } 1 .. $n]);
    my (%times, %by_member);
    my @members = map {
        my $i = $_;
        my $c = new_client(max_poll_records => 10);
        $c->share_subscribe($topic, group_id => $group, acquire_mode => 'record_limit', on_record => sub {
            my ($r) = @_;
            $times{"$r->{partition}:$r->{offset}"}++;
            $by_member{$i}++;
        });
        $c;
    } 1 .. 3;
    ok(run_until(sub { keys %times >= $n }), "the members together got all $n records") or diag scalar keys %times;
    for my $c (@members) {
        wait_for(sub { $c->share_unsubscribe(shift) });
    }
    is_deeply([grep { $times{$_} != 1 } sort keys %times], [], 'no record was handed to two members');
    note 'records per member: ' . join ', ', map { $by_member{$_} // 0 } 1 .. 3;

    # Nothing was left unaccepted: a new member of the group, given one
    # more record per partition, gets those and nothing older.
    produce_all([map { [$topic, 'after', 'after', { partition => $_ }] } 0, 1]);
    my @late;
    my $c = new_client();
    $c->share_subscribe($topic, group_id => $group, on_record => sub { push @late, $_[0] });
    ok(run_until(sub { (grep { $_->{value} eq 'after' } @late) == 2 }), 'a later member gets the new records');
    is_deeply([map { "$_->{value}/$_->{delivery_count}" } @late], ['after/1', 'after/1'],
        'and no record the three had accepted');
    wait_for(sub { $c->close(shift) });
}

# ---- explicit acknowledgements: release, reject, accept --------------------
{
    my ($topic, $group) = share_setup(1);
    produce_all([map { [$topic, undef, "r$_", { partition => 0 }] } 0 .. 2]);
    my @got;
    my $c = new_client();
    $c->share_subscribe($topic, group_id => $group, acknowledgement_mode => 'explicit',
        on_record => sub { push @got, $_[0] });
    ok(run_until(sub { @got >= 3 }), 'three records handed over');
    is_deeply([map { "$_->{offset}:$_->{value}:$_->{delivery_count}" } @got], ['0:r0:1', '1:r1:1', '2:r2:1'],
        'in order, each delivered for the first time');
    eval { $c->share_acknowledge($got[0], 'bogus') };
    like($@, qr/unknown acknowledgement type 'bogus'/, 'a bad type croaks naming it');
    $c->share_acknowledge($got[0], 'release');
    $c->share_acknowledge($topic, 0, 1, 'reject');
    $c->share_acknowledge($got[2], 'accept');
    eval { $c->share_acknowledge($got[2], 'accept') };
    like($@, qr/\@2: the record was not handed over, or is acknowledged already/, 'acknowledging twice croaks');
    eval { $c->share_acknowledge($topic, 0, 99, 'accept') };
    like($@, qr/\@99: the record was not handed over/, 'acknowledging a record never handed over croaks');
    my ($results, $err) = wait_for(sub { $c->share_commit(shift) });
    ok(!$err, 'share_commit succeeds') or diag $err;
    # Whether a fetch took the acknowledgements first (by_fetch) depends on timing.
    is_deeply([map { +{ %$_{qw(topic partition error_code)} } } @$results],
        [{ topic => $topic, partition => 0, error_code => 0 }], 'with a result per partition');
    ok(exists $results->[0]{by_fetch}, 'saying whether a fetch took them');

    ok(run_until(sub { @got >= 4 }), 'the released record comes back');
    is("$got[3]{offset}:$got[3]{value}", '0:r0', 'it is the released one');
    is($got[3]{delivery_count}, 2, 'with delivery_count 2');
    $c->share_acknowledge($got[3], 'accept');

    # The rejected record (and the accepted ones) never come again: the
    # next record produced is the next one handed over.
    produce_all([[$topic, undef, 'r3', { partition => 0 }]]);
    ok(run_until(sub { @got >= 5 }), 'a new record arrives');
    is("$got[4]{offset}:$got[4]{value}:$got[4]{delivery_count}", '3:r3:1', 'and nothing settled before it');
    $c->share_acknowledge($got[4], 'accept');
    wait_for(sub { $c->share_unsubscribe(shift) });
    eval { $c->share_acknowledge($got[4], 'accept') };
    like($@, qr/not subscribed to a share group/, 'share_acknowledge after share_unsubscribe croaks');

    # In implicit mode records are acknowledged by the next round.
    my @implicit;
    $c->share_subscribe($topic, group_id => unique('perlshare-implicit'), on_record => sub { push @implicit, $_[0] });
    my $record = { topic => $topic, partition => 0, offset => 4 };
    eval { $c->share_acknowledge($record, 'accept') };
    like($@, qr/acknowledges implicitly \(acknowledgement_mode => 'explicit'/,
        'share_acknowledge croaks in implicit mode');
    wait_for(sub { $c->close(shift) });
}

# ---- bytes through the share path ------------------------------------------
{
    my ($topic, $group) = share_setup(1);
    my $all = join '', map { chr } 0 .. 255;
    my @sent = (
        { key => $all, value => $all, headers => { "h\0\xff" => $all } },
        { key => "\0a\0\0b\0", value => "\0" },
        { key => '', value => undef, headers => { empty => '', null => undef } },
        { key => undef, value => '' },
        { key => undef, value => undef },
    );
    produce_all([map { [$topic, $_->{key}, $_->{value}, { partition => 0, headers => $_->{headers} }] } @sent]);
    my @got;
    my $c = new_client();
    $c->share_subscribe($topic, group_id => $group, on_record => sub { push @got, $_[0] });
    ok(run_until(sub { @got >= @sent }), 'every record came through the share group');
    for my $i (0 .. $#sent) {
        my ($g, $s) = ($got[$i], $sent[$i]);
        for my $field (qw(key value)) {
            is(defined $g->{$field}, defined $s->{$field}, "record $i $field: defined as sent");
            ok(!defined $s->{$field} || ($g->{$field} eq $s->{$field} && !utf8::is_utf8($g->{$field})),
                "record $i $field: the same bytes");
        }
        is_deeply($g->{headers}, $s->{headers}, "record $i headers") if $s->{headers};
    }
    wait_for(sub { $c->close(shift) });
}

done_testing;
