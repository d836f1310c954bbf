# SASL/GSSAPI (Kerberos), kfk's addition to EV::Kafka (which lists "No
# GSSAPI" among its limitations), against the test broker's GSSAPI
# listener and the test KDC: a client logging in with a keytab, with a
# password and from a credential cache, its bootstrap_conn, a wrong
# password, and an EV::Kafka::Conn with sasl('GSSAPI', ...) + kerberos(...).
use strict;
use warnings;
use feature 'current_sub';
use Test::More;
use EV;
use EV::Kafka;
use File::Temp ();
use FindBin;
require "$FindBin::Bin/lib.pl";

plan skip_all => 'KFK_TEST_GSSAPI_BROKERS is not set (use make test)' unless $ENV{KFK_TEST_GSSAPI_BROKERS};

sub env { $ENV{ $_[0] } // BAIL_OUT("$_[0] is not set, though KFK_TEST_GSSAPI_BROKERS is") }

my $brokers = env('KFK_TEST_GSSAPI_BROKERS');
my ($host, $port) = $brokers =~ /^([^,]*):(\d+)/;
# The krb5.conf is always named: the system's is not the test realm's.
my %realm = (mechanism => 'GSSAPI', service_name => env('KFK_TEST_KRB5_SERVICE'),
    krb5_config => env('KFK_TEST_KRB5_CONFIG'));
my %keytab = (keytab => env('KFK_TEST_KRB5_KEYTAB'), principal => env('KFK_TEST_KRB5_PRINCIPAL'));
my %password = (username => env('KFK_TEST_KRB5_USER'), password => env('KFK_TEST_KRB5_PASS'));
my $wrong = 'not-the-password-' . int rand 1e6;

# Connects a client of %sasl, produces a record with NUL and 0xff bytes
# to a new topic and reads it back (assign + poll rounds until it came);
# checks bootstrap_conn on the way. Returns the connected client.
sub round_trip {
    my ($login, %sasl) = @_;
    my @got;
    my $kafka = EV::Kafka->new(brokers => $brokers, acks => -1, sasl => { %realm, %sasl },
        on_error => sub { diag "on_error ($login): @_" }, on_message => sub { push @got, [@_[3, 4]] });
    my ($meta, $conn, $connected) = wait_for(sub {
        my $done = shift;
        $kafka->connect(sub { my $boot = $kafka->{cfg}{bootstrap_conn}; $done->($_[0], $boot, $boot && $boot->connected) });
    });
    ok($meta && @{ $meta->{brokers} }, "$login: the client connects through GSSAPI");
    ok($connected, "$login: bootstrap_conn is connected (authenticated as the client)");
    my $topic = unique("gssapi-perl-$login");
    my ($key, $value) = ("k\0\xff", "\0kerberos\xff$login\0");
    my ($res, $err) = wait_for(sub { $kafka->produce($topic, $key, $value, { partition => 0 }, shift) });
    is($res && $res->{topics}[0]{partitions}[0]{base_offset}, 0, "$login: produced") or diag $err;
    my ($hit, $poll_err) = wait_for(sub {
        my $done = shift;
        $kafka->assign([{ topic => $topic, partition => 0, offset => 0 }]);
        sub {
            my (undef, $e) = @_;
            return $done->(undef, $e) if $e;
            my ($found) = grep { $_->[1] eq $value } @got;
            return $done->($found) if $found;
            $kafka->poll(__SUB__);
        }->();
    });
    ok($hit && $hit->[0] eq $key && $hit->[1] eq $value, "$login: read back byte for byte") or diag $poll_err;
    SKIP: {
        skip "$login: no bootstrap_conn", 2 unless $connected;
        ($res, $err) = wait_for(sub { $conn->list_offsets($topic, 0, -1, shift) });
        is($res && $res->{topics}[0]{partitions}[0]{offset}, 1, "$login: bootstrap_conn's list_offsets") or diag $err;
        ($res, $err) = wait_for(sub { $conn->metadata([$topic], shift) });
        is($res && $res->{topics}[0]{name}, $topic, "$login: bootstrap_conn's metadata") or diag $err;
    }
    return $kafka;
}

for my $case (['keytab', %keytab], ['password', %password]) {
    my $kafka = round_trip(@$case);
    wait_for(sub { $kafka->close(shift) });
}

# From the credential cache kinit fills (no keytab, no password): the
# client reads the cache named; bootstrap_conn, which can name none, is
# not made.
SKIP: {
    my ($kinit) = grep { -x } map { "$_/kinit" } split /:/, $ENV{PATH} // '';
    skip 'no kinit to fill a credential cache', 3 unless $kinit;
    my $dir = File::Temp->newdir;
    my $ccache = "$dir/ccache";
    local $ENV{KRB5_CONFIG} = $realm{krb5_config};
    is(system($kinit, '-k', '-t', $keytab{keytab}, '-c', "FILE:$ccache", $keytab{principal}), 0, 'kinit filled a cache');
    my $meta = wait_for(sub {
        my $done = shift;
        my $kafka = EV::Kafka->new(brokers => $brokers, sasl => { %realm, ccache => $ccache },
            on_error => sub { diag "on_error (ccache): @_"; $done->() });
        $kafka->connect(sub {
            my ($meta) = @_;
            ok(!defined $kafka->{cfg}{bootstrap_conn}, 'ccache: no bootstrap_conn');
            $kafka->close(sub { $done->($meta) });
        });
    });
    ok($meta && @{ $meta->{brokers} }, 'ccache: the client connects with the cached tickets');
}

# A wrong password: connect fails on_error's way, once, naming the
# Kerberos login and not the password; connect's callback never runs and
# nothing is left running.
{
    my (@errors, $called);
    my $kafka = EV::Kafka->new(brokers => $brokers, request_timeout_ms => 5000,
        sasl => { %realm, %password, password => $wrong }, on_error => sub { push @errors, "@_" });
    $kafka->connect(sub { $called = 1 });
    ok(returns_alone(), 'wrong password: EV::run returns after the failed connect');
    is(scalar @errors, 1, 'on_error is told once') or diag explain \@errors;
    like($errors[0] // '', qr/Kerberos login of \Q$password{username}\E/, 'the error names the Kerberos login');
    unlike(join(' ', @errors), qr/\Q$wrong\E/, 'and not the password');
    ok(!$called, 'connect\'s callback does not run');
    ok(!defined $kafka->{cfg}{bootstrap_conn}, 'no bootstrap_conn is left');
}

# EV::Kafka::Conn: kerberos() only after sasl('GSSAPI', ...); then a
# keytab login connects and answers, and a wrong password reaches on_error.
sub conn_connect {
    my ($setup) = @_;
    my $conn = EV::Kafka::Conn->new;
    $setup->($conn);
    my ($ok, $err) = wait_for(sub {
        my $done = shift;
        $conn->on_error(sub { $done->(0, $_[0]) });
        $conn->on_connect(sub { $done->(1) });
        $conn->connect($host, $port, 10);
    });
    return ($conn, $ok, $err);
}

{
    my $conn = EV::Kafka::Conn->new;
    eval { $conn->kerberos($realm{service_name}, $keytab{keytab}, $realm{krb5_config}) };
    like($@, qr/^kerberos: KFK_ERR_STATE/, 'Conn kerberos before sasl(\'GSSAPI\') croaks ERR_STATE');
    $conn->sasl('PLAIN', 'u', 'p');
    eval { $conn->kerberos };
    like($@, qr/^kerberos: KFK_ERR_STATE/, 'and after another mechanism');
}

{
    my ($conn, $ok, $err) = conn_connect(sub {
        $_[0]->sasl('GSSAPI', $keytab{principal});
        $_[0]->kerberos($realm{service_name}, $keytab{keytab}, $realm{krb5_config});
    });
    ok($ok, 'Conn: sasl(GSSAPI, principal) + kerberos(service, keytab, krb5.conf) connects') or diag $err;
    my ($md, $merr) = $ok ? wait_for(sub { $conn->metadata(undef, shift) }) : ();
    ok($md && @{ $md->{brokers} }, 'Conn: metadata through GSSAPI') or diag $merr;
    $conn->disconnect;
}

{
    my ($conn, $ok, $err) = conn_connect(sub {
        $_[0]->sasl('GSSAPI', $password{username}, $wrong);
        $_[0]->kerberos(undef, undef, $realm{krb5_config});    # the default service, kafka
    });
    ok(!$ok, 'Conn: a wrong password is refused');
    like($err // '', qr/Kerberos login of \Q$password{username}\E/, 'Conn: on_error names the Kerberos login');
    unlike($err // '', qr/\Q$wrong\E/, 'Conn: and not the password');
}

eval { EV::Kafka->new(sasl => { %realm, keytabb => 'x' }) };
like($@, qr/unknown sasl option 'keytabb'/, 'a misspelt sasl key still croaks');

done_testing;
