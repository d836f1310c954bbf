use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use MIME::Base64 ();
use FindBin;
require "$FindBin::Bin/lib.pl";

# SASL/OAUTHBEARER through the drop-in's sasl option: tokens from
# token_cb, from a token endpoint (OIDC), and a connection's token.
broker();
plan skip_all => 'KFK_TEST_OAUTH_BROKERS is not set' unless $ENV{KFK_TEST_OAUTH_BROKERS};

# An unsigned JWT, as the test broker's OAUTHBEARER listener accepts.
sub unsigned_jwt {
    my ($principal, $life) = @_;
    my $enc = sub { MIME::Base64::encode_base64url($_[0]) };
    my $now = time;
    return $enc->('{"alg":"none"}') . '.'
        . $enc->(sprintf '{"sub":"%s","iat":%d,"exp":%d}', $principal, $now, $now + $life) . '.';
}

sub produce_one {
    my ($kafka, $topic) = @_;
    my ($meta) = wait_for(sub { my $done = shift; $kafka->connect(sub { $done->(@_) }) });
    return wait_for(sub { $kafka->produce($topic, 'k', "via oauth\0bytes", shift) });
}

{
    my @asked;
    my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_OAUTH_BROKERS},
        sasl => { mechanism => 'OAUTHBEARER', token_cb => sub {
            push @asked, 1;
            return (unsigned_jwt('kfk-perl', 600), time + 600, 'kfk-perl', { traceId => 'perl-1' });
        } },
        on_error => sub { diag "on_error: @_" });
    my ($r, $err) = produce_one($kafka, unique('oauth-perl'));
    ok(!$err && $r->{topics}[0]{partitions}[0]{base_offset} == 0, 'token_cb: produced') or diag $err;
    ok(@asked >= 1, 'token_cb was asked');
    $kafka->close(sub {});
}

{
    my $why;
    my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_OAUTH_BROKERS}, request_timeout_ms => 5000,
        sasl => { mechanism => 'OAUTHBEARER', token_cb => sub { die "the vault is sealed\n" } },
        on_error => sub { $why //= "@_"; EV::break });
    $kafka->connect(sub { });
    my $t = EV::timer(30, 0, sub { EV::break });
    EV::run;
    like($why // '', qr/the vault is sealed/, 'a token_cb that dies: on_error says why');
}

SKIP: {
    skip 'no OIDC listener (KFK_TEST_OIDC_BROKERS)', 1 unless $ENV{KFK_TEST_OIDC_BROKERS};
    my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_OIDC_BROKERS},
        sasl => { mechanism => 'OAUTHBEARER', method => 'oidc', token_endpoint_url => $ENV{KFK_TEST_OIDC_TOKEN_URL},
            client_id => $ENV{KFK_TEST_OIDC_CLIENT_ID}, client_secret => $ENV{KFK_TEST_OIDC_CLIENT_SECRET},
            scope => 'kafka' },
        on_error => sub { diag "on_error: @_" });
    my ($r, $err) = produce_one($kafka, unique('oidc-perl'));
    ok(!$err && $r->{topics}[0]{partitions}[0]{base_offset} == 0, 'OIDC: produced') or diag $err;
    $kafka->close(sub {});
}

{
    my ($host, $port) = $ENV{KFK_TEST_OAUTH_BROKERS} =~ /^([^,]*):(\d+)/;
    for my $case (['a valid token', 600, 1], ['an expired token', -60, 0]) {
        my ($what, $life, $want) = @$case;
        my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
        $conn->sasl('OAUTHBEARER', undef, unsigned_jwt('kfk-perl-conn', $life));
        my ($ok) = wait_for(sub {
            my $done = shift;
            $conn->on_error(sub { $done->(0) });
            $conn->on_connect(sub { $done->(1) });
            $conn->connect($host, $port, 5);
        });
        is($ok ? 1 : 0, $want, "Conn sasl OAUTHBEARER with $what");
    }
}

eval { EV::Kafka->new(sasl => { mechanism => 'OAUTHBEARER', tokn => 'x' }) };
like($@, qr/unknown sasl option 'tokn'/, 'a misspelt sasl option croaks');
eval { EV::Kafka->new(sasl => { mechanism => 'OAUTHBEARER', token_cb => 'x' }) };
like($@, qr/token_cb must be a code reference/, 'token_cb must be code');

done_testing;
