# Wrong types, impossible values and closed objects: every call works or
# dies with a Perl error; none crashes the interpreter. No broker needed.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my $offline = '127.0.0.1:1';
my @wrong = (undef, 3, 2.5, 'text', [1], { a => 1 }, sub { 1 }, -1, '9' x 30);

# dies_cleanly(sub {...}): true when the call died (a Perl error), false
# when it returned; a crash would end the test run.
sub dies_cleanly { my ($code) = @_; local $SIG{__WARN__} = sub { }; return eval { $code->(); 1 } ? 0 : 1 }

my $kafka = EV::Kafka->new(brokers => $offline, on_error => sub { });
my ($tried, $refused) = (0, 0);
for my $bad (@wrong) {
    dies_cleanly(sub { $kafka->produce($bad, 'k', 'v') });
    dies_cleanly(sub { $kafka->produce('t', $bad, 'v') });
    dies_cleanly(sub { $kafka->produce('t', 'k', $bad) });
    dies_cleanly(sub { $kafka->produce('t', 'k', 'v', { partition => $bad }) });
    dies_cleanly(sub { $kafka->produce('t', 'k', 'v', { headers => $bad }) });
    dies_cleanly(sub { $kafka->produce_many($bad) });
    dies_cleanly(sub { $kafka->assign($bad) });
    dies_cleanly(sub { $kafka->assign([{ topic => $bad, partition => 0 }]) });
    dies_cleanly(sub { $kafka->share_subscribe($bad, group_id => 'g', acknowledgement_mode => $bad, on_record => $bad) });
    # without a share subscription every acknowledgement is refused
    $refused += dies_cleanly(sub { $kafka->share_acknowledge($bad, 'accept') });
    $refused += dies_cleanly(sub { $kafka->share_acknowledge({ topic => 't', partition => 0, offset => 0 }, $bad) });
    $refused += dies_cleanly(sub { $kafka->share_acknowledge({ topic => $bad, partition => $bad, offset => $bad }, 'reject') });
    $tried += 12;
}
is($tried, 12 * @wrong, 'every wrong-typed call returned or died cleanly');
is($refused, 3 * @wrong, 'share_acknowledge without a share subscription always croaks');
ok(dies_cleanly(sub { $kafka->produce('', 'k', 'v', { partition => 0 }) }), 'a missing topic croaks');
# What the library refuses goes to the callback, as EV::Kafka's request
# errors do.
for my $case ((map { [$_, { partition => 0 }, qr/^INVALID_TOPIC_EXCEPTION: /] } '.', '..', 'a/b', 'x' x 300),
              ['t', { partition => -9 }, qr/^KFK_ERR_INVALID_ARG: /]) {
    my ($topic, $opts, $want) = @$case;
    my $what = "topic '" . substr($topic, 0, 10) . "', partition $opts->{partition}";
    my ($res, $err) = wait_for(sub {
        my $done = shift;
        $done->('croaked', $@) if dies_cleanly(sub { $kafka->produce($topic, 'k', 'v', $opts, $done) });
    }, 10);
    ok(!defined $res, "$what: no result");
    like($err, $want, "$what: refused through the callback");
}

my $closed = EV::Kafka->new(brokers => $offline, on_error => sub { });
my $done;
$closed->close(sub { $done = 1; EV::break });
my $t = EV::timer(10, 0, sub { EV::break });
EV::run until $done;
ok($done, 'close completes with the broker unreachable');
ok(dies_cleanly(sub { $closed->produce('t', 'k', 'v', { partition => 0 }) }), 'a closed client refuses produce');
ok(!dies_cleanly(sub { $closed->close }), 'closing twice is harmless');

done_testing;
