# Every COOKBOOK entry of EV::Kafka's documentation, run as its own script
# with the entry's code as documented (the topic and group names too) inside
# the scaffolding a program needs around it: a client, a loop, an end.
# (The EOS entry is t/60-transactions.t.)
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use JSON::PP ();
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $lib = "$FindBin::Bin/../lib";
local $ENV{BROKER} = "$host:$port";

# Runs a script and returns its output (stdout and stderr).
sub run_script {
    my ($name, $code) = @_;
    my $file = "/tmp/kfk-cookbook-$$-$name.pl";
    open my $fh, '>', $file or die "$file: $!";
    print $fh "use strict; use warnings; use EV; use EV::Kafka;\n",
        "my \$guard = EV::timer(60, 0, sub { print \"timed out\\n\"; EV::break });\n", $code;
    close $fh;
    my $out = `timeout 90 $^X -I$lib $file 2>&1`;
    is $?, 0, "$name: the script exits 0" or diag $out;
    unlink $file;
    return $out;
}

my $conn = connected_conn();

subtest 'Produce JSON with headers' => sub {
    my $out = run_script(json => <<'PERL');
my $kafka = EV::Kafka->new(brokers => $ENV{BROKER}, acks => 1, on_error => sub { die "kafka: @_\n" });
$kafka->connect(sub {
    use JSON::PP;
    my $json = JSON::PP->new->utf8;

    $kafka->produce('events', 'user-42',
        $json->encode({ action => 'click', page => '/home' }),
        { headers => { 'content-type' => 'application/json' } },
        sub { my ($result, $err) = @_; die $err if $err; my $p = $result->{topics}[0]{partitions}[0];
              print "at $p->{partition}/$p->{base_offset}\n"; EV::break }
    );
});
EV::run;
PERL
    my ($partition, $offset) = $out =~ m{^at (\d+)/(\d+)$}m or return fail("no delivery: $out");
    my ($res) = wait_for(sub { $conn->fetch('events', $partition, $offset, shift) });
    my $rec = $res->{topics}[0]{partitions}[0]{records}[0];
    is $rec->{key}, 'user-42', 'the key';
    is $rec->{headers}{'content-type'}, 'application/json', 'the header';
    is_deeply(JSON::PP->new->decode($rec->{value}), { action => 'click', page => '/home' }, 'the JSON value');
};

subtest 'Consume from latest offset only' => sub {
    my $out = run_script(latest => <<'PERL');
my $kafka = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" },
    on_message => sub { print "got $_[4]\n"; EV::break });
my $producer = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" });
$producer->connect(sub { });
my $ticker = EV::timer(0.5, 0.3, sub { $producer->produce('live-feed', undef, 'tick', sub { }) });
$kafka->connect(sub {
        $kafka->subscribe('live-feed',
            group_id          => 'realtime',
            auto_offset_reset => 'latest',
            on_assign         => sub { print "ready\n" },
        );
});
EV::run;
$kafka->close(sub { EV::break });    # leave the group: the next run joins at once
EV::run;
PERL
    like $out, qr/^ready\n(?:.*\n)*got tick$/m, 'on_assign ran, then a new record arrived';
};

subtest 'Graceful shutdown' => sub {
    my $out = run_script(shutdown => <<'PERL');
my $kafka = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" }, on_message => sub { });
my $tick = EV::timer(0.1, 0.1, sub { });    # any program has some Perl code running
$kafka->connect(sub {
    $kafka->subscribe('shutdown-topic', group_id => 'shutdown-group',
        on_assign => sub { print "assigned\n"; kill 'INT', $$ });
});
        $SIG{INT} = sub {
            $kafka->commit(sub {
                $kafka->unsubscribe(sub {
                    $kafka->close(sub { EV::break });
                });
            });
        };
EV::run;
print "closed\n";
PERL
    like $out, qr/^assigned\nclosed$/m, 'SIGINT committed, left the group and closed';
};

subtest 'At-least-once processing' => sub {
    my $admin = EV::Kafka->new(brokers => "$host:$port");
    wait_for(sub { my $d = shift; $admin->connect(sub { $d->() }) });
    my $committed = sub {
        my ($lag) = wait_for(sub { $admin->group_lag('workers', shift) });
        return $lag->{'jobs:0'} ? $lag->{'jobs:0'}{committed} : 0;
    };
    my $before = $committed->();
    # Jobs keep arriving.
    my $out = run_script(at_least_once => <<'PERL');
my $count = 0;
sub process { }
my $producer = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" });
$producer->connect(sub { });
my $jobs = EV::timer(0.2, 0.1, sub { $producer->produce_many([map { ['jobs', undef, "job $_"] } 1 .. 20], sub { }) });
my $kafka;
$kafka = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" },
        # in on_message: process, then commit
        on_message => sub {
            process($_[4]);
            $kafka->commit if ++$count % 100 == 0;
            if ($count == 300) { $kafka->commit(sub { print "processed $count\n"; EV::break }) }
        },
);
$kafka->connect(sub {
        $kafka->subscribe('jobs',
            group_id    => 'workers',
            auto_commit => 0,
        );
});
EV::run;
$kafka->close(sub { EV::break });
EV::run;
PERL
    # A new group starts at the earliest offset (EV::Kafka's default): the
    # backlog arrives in one burst, so the commit's callback, which runs
    # after the messages handed over before it, may count more than 300.
    my ($processed) = $out =~ /^processed (\d+)$/m;
    cmp_ok $processed // 0, '>=', 300, '300 jobs were processed' or diag $out;
    cmp_ok $committed->() - $before, '>=', 300, 'and their offsets committed';
};

subtest 'Batch produce' => sub {
    my $out = run_script(batch => <<'PERL');
my $kafka = EV::Kafka->new(brokers => $ENV{BROKER}, on_error => sub { die "kafka: @_\n" });
$kafka->connect(sub {
        $kafka->produce_many([
            ['events', 'k1', 'v1'],
            ['events', 'k2', 'v2'],
            ['events', 'k3', 'v3'],
        ], sub {
            my $errs = shift;
            print $errs ? "some failed\n" : "all done\n";
            EV::break;
        });
});
EV::run;
PERL
    like $out, qr/^all done$/m, 'every record delivered';
};

subtest 'Topic administration' => sub {
    my $out = run_script(admin => <<'PERL');
        my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
        $conn->on_error(sub { die "kafka: @_\n" });
        $conn->on_connect(sub {
            $conn->create_topics(
                [{ name => 'new-topic', num_partitions => 6, replication_factor => 3 }],
                10000, sub { my ($res, $err) = @_; die $err if $err; my $t = $res->{topics}[0];
                             print "$t->{name} $t->{error_code}\n"; EV::break }
            );
        });
my ($host, $port) = split /:/, $ENV{BROKER};
$conn->connect($host, $port, 5.0);
EV::run;
PERL
    # 0 on a cluster of three, 36 when it exists already, 38 (replication
    # factor above the broker count) on a single broker: a broker's answer.
    like $out, qr/^new-topic (0|36|38)$/m, 'CreateTopics answered for new-topic';
};

done_testing;
