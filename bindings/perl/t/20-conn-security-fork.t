use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use POSIX ();
use FindBin;
require "$FindBin::Bin/lib.pl";

broker();

sub try_connect {
    my ($addr, $setup) = @_;
    my ($host, $port) = $addr =~ /^(.*):(\d+)$/;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    $setup->($conn);
    my @r = wait_for(sub {
        my $done = shift;
        $conn->on_error(sub { $done->(0, $_[0]) });
        $conn->on_connect(sub { $done->(1) });
        $conn->connect($host, $port, 5);
    });
    return ($conn, @r);
}

SKIP: {
    skip 'KFK_TEST_SASL_BROKERS is not set', 12 unless $ENV{KFK_TEST_SASL_BROKERS};
    for my $m (['PLAIN', 'PLAIN'], ['SCRAM-SHA-256', 'SCRAM256'], ['SCRAM-SHA-512', 'SCRAM512']) {
        my ($mech, $var) = @$m;
        my ($conn, $ok, $err) = try_connect($ENV{KFK_TEST_SASL_BROKERS},
            sub { $_[0]->sasl($mech, $ENV{"KFK_TEST_${var}_USER"}, $ENV{"KFK_TEST_${var}_PASS"}) });
        ok($ok, "SASL $mech connects") or diag $err;
        my ($md) = wait_for(sub { $conn->metadata(undef, shift) });
        ok(scalar @{ $md->{brokers} }, "SASL $mech metadata");
        my ($bad, $bok, $berr) = try_connect($ENV{KFK_TEST_SASL_BROKERS},
            sub { $_[0]->sasl($mech, $ENV{"KFK_TEST_${var}_USER"}, 'wrong-secret') });
        ok(!$bok, "SASL $mech with a wrong password is refused");
        like($berr, qr/sasl/i, "on_error says why ($mech)");
    }
}

SKIP: {
    skip 'KFK_TEST_TLS_BROKERS is not set', 3 unless $ENV{KFK_TEST_TLS_BROKERS};
    my ($conn, $ok, $err) = try_connect($ENV{KFK_TEST_TLS_BROKERS}, sub { $_[0]->tls(1, $ENV{KFK_TEST_TLS_CA}) });
    ok($ok, 'TLS with the test CA') or diag $err;
    my ($bad, $bok, $berr) = try_connect($ENV{KFK_TEST_TLS_BROKERS}, sub { $_[0]->tls(1) });
    ok(!$bok, 'TLS with an unknown CA is refused');
    like($berr, qr/tls|certificate/i, 'the error names TLS');
}

# Without on_error, a connection error croaks (EV reports it).
{
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    my $died;
    local $EV::DIED = sub { $died = $@; EV::break };
    $conn->connect('127.0.0.1', 1, 2);
    my $t = EV::timer(10, 0, sub { EV::break });
    EV::run;
    like($died, qr/kafka: .*connect/i, 'connection error without on_error croaks');
}

# A child of fork() gets a clear error from the parent's objects.
{
    my $conn = connected_conn();
    my $pid = fork;
    if ($pid == 0) {
        my $ok = !eval { $conn->metadata(undef, sub {}); 1 } && $@ =~ /fork/;
        POSIX::_exit($ok ? 0 : 1);
    }
    waitpid $pid, 0;
    is($? >> 8, 0, 'child using the parent connection gets a fork error');
    my ($md) = wait_for(sub { $conn->metadata(undef, shift) });
    ok(scalar @{ $md->{brokers} }, 'parent still works');
}

# Forking before the library is loaded is fine: the child loads its own.
{
    my ($host, $port) = broker();
    my $code = qq{
        use EV; use EV::Kafka; use POSIX ();
        my \$pid = fork;
        if (!\$pid) {
            my \$c = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
            my \$ok = 0;
            \$c->on_connect(sub { \$c->metadata(undef, sub { \$ok = \@{ \$_[0]{brokers} } ? 1 : 0; EV::break }) });
            \$c->on_error(sub { EV::break });
            \$c->connect('$host', $port, 5);
            my \$t = EV::timer(20, 0, sub { EV::break });
            EV::run;
            POSIX::_exit(\$ok ? 0 : 1);
        }
        waitpid \$pid, 0;
        exit(\$? >> 8);
    };
    system($^X, (map { "-I$_" } @INC), '-e', $code);
    is($? >> 8, 0, 'a child forked before loading libkfk uses its own connection');
}

done_testing;
