package EV::Kafka;

# EV::Kafka over libkfk: the documented EV::Kafka API (EV::Kafka::Conn, the
# utility functions) implemented with FFI::Platypus. Callbacks run from
# the EV loop; libkfk does its network I/O on its own threads and hands
# completions over through one event queue per loop.

use strict;
use warnings;
use Kfk::FFI;
use EV::Kafka::Conn;
use EV::Kafka::Client;

our $VERSION = '0.4.0';

# EV::Kafka->new(%options) returns an EV::Kafka::Client.
sub new {
    my ($class, %opt) = @_;
    return EV::Kafka::Client->new(%opt);
}

sub _lib { Kfk::FFI::load(); }

# Kafka-compatible murmur2 of $key, as a non-negative 31-bit integer.
sub _murmur2 {
    my ($key) = @_;
    _lib();
    my @keep;
    return Kfk::FFI::kfk_murmur2(Kfk::FFI::buf(\@keep, $key // ''));
}

# CRC32C (Castagnoli) of $data.
sub _crc32c {
    my ($data) = @_;
    _lib();
    my @keep;
    return Kfk::FFI::kfk_crc32c(Kfk::FFI::buf(\@keep, $data // ''));
}

# The name of a Kafka error code, e.g. 3 => "UNKNOWN_TOPIC_OR_PARTITION";
# "UNKNOWN" for a code libkfk does not know, also one that does not fit
# its 32 bits (which the call would cut to a known one).
sub _error_name {
    my ($code) = @_;
    return 'UNKNOWN' if abs($code // 0) >= 2**31;
    _lib();
    return Kfk::FFI::kfk_err_name($code);
}

1;

__END__

=head1 NAME

EV::Kafka - asynchronous Kafka client for EV, running on libkfk

=head1 SYNOPSIS

    use EV;
    use EV::Kafka;

    my $kafka = EV::Kafka->new(
        brokers    => '127.0.0.1:9092',
        acks       => -1,
        on_error   => sub { warn "kafka: @_\n" },
        on_message => sub { my ($topic, $partition, $offset, $key, $value, $headers) = @_; ... },
    );
    $kafka->connect(sub {
        $kafka->produce('events', 'key', 'value', sub { my ($result, $err) = @_; ... });
    });
    EV::run;

=head1 DESCRIPTION

This distribution provides C<EV::Kafka>, C<EV::Kafka::Client> and
C<EV::Kafka::Conn> with the API of the XS module of the same name: the same
constructor options, methods, argument orders, callback arguments and result
structures, so programs written for it run unchanged. The Kafka protocol is
implemented by F<libkfk.so> (kfk's Go core with a C ABI), called through
L<FFI::Platypus>.

The library does its network I/O on its own threads and queues
completions; one C<EV::io> watcher per loop drains them, so every callback
runs on the Perl thread from the EV loop (and therefore also under
L<AnyEvent> with the EV backend). The C<loop> option selects another
C<EV::Loop>. As the XS module's sockets and timers do, that watcher keeps
the loop alive only while a client or connection is connected or
connecting (or in a group), or a callback is still to come: once no object
has work left (after C<close> or C<disconnect>, or once they are freed),
C<EV::run> returns.

F<libkfk.so> is found through C<KFK_LIBRARY>, the kfk repository's
F<build/> folder, or the system library path, and opened when the first
object is created, not at C<use> time: a pre-forking server may load the
module and fork first. An object created before C<fork> croaks when used in
the child.

Keys, values, header names and values are byte strings; encode text
yourself. A string with Perl's UTF-8 flag on is sent as the bytes of its
characters (it is not changed), and one with a character above 255 croaks
"Wide character ...".

A message the library refuses at once (larger than C<message_max_bytes>,
an invalid topic name, the buffer full) is reported as request errors
are: C<produce> calls its callback from the loop with C<(undef, $error)>,
C<produce_many> lists it in C<$errors> (in the messages' order) and sends
the other messages.
Arguments wrong for the API (no topic, a message that is not an array or
hash reference) croak. A constructor option the module does not know is
ignored, as EV::Kafka does, with a warning naming it.

C<seek>, C<offsets_for>, C<lag> and C<poll> pass a request's failure to
their callback, C<< $cb->($result, $error) >> (C<$result> is C<{}> for
C<offsets_for> and C<lag>, undef otherwise); without a callback it goes to
C<on_error>. The hashes given to C<assign> are the live assignment:
C<seek> and C<poll> keep each one's C<offset> at the partition's
position. C<commit> without a group subscription calls C<< $cb->() >>
with no error.

C<< $client->{cfg} >> holds the constructor's options (with EV::Kafka's
defaults) and, once an idempotent or transactional producer has them,
C<producer_id> and C<producer_epoch> (kept current by connect, delivery
reports, C<produce_many> and transaction completions); programs may store
their own values there (the QUICK START keeps its timer in it). From
connect's callback on it also holds C<meta>, the metadata connect got (not
refreshed later), and C<bootstrap_conn>, an C<EV::Kafka::Conn> connected to
the first bootstrap broker that accepts it, with the client's C<client_id>,
TLS and SASL settings, for requests of the program's own (C<list_offsets>,
C<create_topics>, ...). It connects while the client does, so C<connect>
takes no longer; close and freeing the client disconnect it and take it out
of C<cfg> (a program still holding it gets C<not connected>), and a failed
C<connect> leaves none. Should the client connect but no bootstrap broker
accept this connection, it stays in C<cfg> unconnected and a C<warn> log
line (see C<on_log>) says why. Like the XS module's, it does not reconnect
by itself (C<< ->auto_reconnect(1) >> makes it). With OAUTHBEARER it
presents the C<token> option or a token from C<token_cb>; with OIDC or
unsecured tokens there is none. With GSSAPI it logs in to Kerberos by
itself, with the client's C<principal> (or C<username>), C<password>,
C<keytab>, C<service_name> and C<krb5_config>; a client whose tickets come
from a C<ccache> alone has none (an C<EV::Kafka::Conn> names no cache).

C<connect>'s callback runs first, then C<on_connect>, both once the cluster
answered; C<on_connect> runs only for the first connect of a client.

Every request of C<EV::Kafka::Conn> croaks C<not connected> at once unless
the connection is ready (C<connected>); a request that fails later
reaches its callback as C<(undef, $error)>.
C<pending> counts the requests whose callback has not run yet.
C<offset_fetch> takes topic names or C<[{topic, partitions => [...]}]>,
each partition asked for coming back (offset -1 when none is committed).
C<sync_group> takes C<[{member_id, assignment => $bytes}]> (consumer
protocol assignments, as a leader encodes them) or C<[{member_id, topics
=> [{topic, partitions}]}]>, and C<< $res->{assignment} >> is this
member's as such bytes (version 0, no user data).

=head1 INSTALLING

C<make perl-dist> in kfk's repository builds F<build/dist/EV-Kafka-VERSION.tar.gz>,
which carries F<libkfk.so>: C<perl Makefile.PL && make && make install> from
it needs nothing else but FFI::Platypus and EV. Otherwise the library is
found through C<KFK_LIBRARY>, the repository's F<build/> folder, or the
system library path.

=head1 WHAT KFK ADDS

Removed limitations: flexible protocol versions are negotiated, host names
are resolved without blocking the loop, delivery is retried with backoff up
to C<delivery_timeout_ms> (idempotently, without reordering, when
C<idempotent> is on), and reconnects happen on their own. EV::Kafka lists
"No GSSAPI/OAUTHBEARER" among its limitations: kfk has both (see C<sasl>
below).

Extra constructor options, passed to libkfk as they are:
C<compression_level> (C<compression>'s level: -1, the default, is the
codec's own; gzip 1-9, lz4 1-12, zstd 1-22),
C<batch_num_messages> (a batch is sent once it holds this many records,
default 10000, whatever room C<batch_size> leaves),
C<delivery_timeout_ms>, C<retry_backoff_ms>, C<max_in_flight>,
C<max_buffered_messages>, C<max_buffered_kbytes>, C<message_max_bytes>,
C<request_timeout_ms>, C<transaction_timeout_ms>, C<isolation_level>
(C<read_uncommitted> or C<read_committed>), C<auto_offset_reset>
(C<earliest> or C<latest>; C<subscribe> starts a new group at the earliest
offset, as EV::Kafka does, unless this or its own option says C<latest>),
C<fetch_partition_max_bytes>, C<max_poll_records> (the most records one
C<poll> hands to C<on_message>; the rest wait for the next; 0, the default,
is no bound) and C<check_crcs> (0 skips verifying each fetched batch's
CRC32C, as librdkafka does by default; 1, the default, verifies).

C<subscribe> also takes C<partition_assignment_strategy> (or C<assignor>):
C<cooperative-sticky> rebalances incrementally (KIP-429), C<on_revoke>
then listing only the partitions taken away; and C<group_protocol> =>
C<consumer> for KIP-848's protocol (Kafka 4.0+), with
C<group_remote_assignor> (C<uniform> or C<range>). Partitions lost without
being given up (an expired session) also go to C<on_revoke>.

C<sasl> also takes C<< mechanism => 'OAUTHBEARER' >> (SASL/OAUTHBEARER,
KIP-255) with its token from one of: C<< token_cb => sub { ... } >>,
called in the loop whenever a token is needed, returning
C<($token, $expiry_epoch_seconds)> or
C<($token, $expiry, $principal, \%extensions)> (dying fails the waiting
connections with its message, which C<on_error> gets); C<< method =>
'oidc' >> with C<token_endpoint_url>, C<client_id>, C<client_secret> and
optionally C<scope> and C<ca_file> (the client credentials grant,
KIP-768, each token replaced at 80% of its life); C<token> (one the
program got itself); or C<< unsecure_jwt => 1 >> with C<config> (unsigned
development tokens, librdkafka's C<sasl.oauthbearer.config>).
C<< extensions => {...} >> are sent with every token (KIP-342). Sessions
whose broker sets C<connections.max.reauth.ms> are re-authenticated on the
live connection (KIP-368), with any mechanism. C<< $conn->sasl('OAUTHBEARER',
undef, $token) >> presents a token on an C<EV::Kafka::Conn>.

C<sasl> also takes C<< mechanism => 'GSSAPI' >> (SASL/GSSAPI, Kerberos 5),
with these keys (librdkafka's C<sasl.kerberos.*> settings):

    sasl => {
        mechanism    => 'GSSAPI',
        service_name => 'kafka',                   # the default
        principal    => 'app@EXAMPLE.COM',         # NAME or NAME@REALM
        keytab       => '/etc/security/app.keytab',
        krb5_config  => '/etc/krb5.conf',          # the default: $KRB5_CONFIG, then /etc/krb5.conf
    },

C<service_name> is the brokers' Kerberos service: each broker's principal
is C<SERVICE/HOST@REALM>, C<HOST> as in its address (C<brokers>, or as the
cluster advertises it). The tickets come from C<keytab> (its keys for
C<principal>, or its first principal), else from C<username> (the
principal, unless C<principal> is given) and C<password>, else from the
credential cache that C<kinit> fills: C<ccache>, or C<$KRB5CCNAME>, or
F</tmp/krb5cc_UID>. C<krb5_config> names the krb5.conf with the realm and
its KDCs (it is not C<config>, which is OAUTHBEARER's). A keytab or
password login is kept and renewed for the client's life; a cached one is
read again as C<kinit> renews it. A login that fails (a wrong password, an
unknown principal, an unreadable keytab) fails C<connect> through
C<on_error>, its message naming the Kerberos login and never the password.
An unknown C<sasl> key croaks, as it does for every mechanism.

On an C<EV::Kafka::Conn>, C<< $conn->sasl('GSSAPI', $principal, $password) >>
(both may be undef: a keytab's first principal, or the credential cache)
followed by C<< $conn->kerberos($service_name, $keytab, $krb5_config) >>
(kfk's addition; each undef for its default) sets the same up; C<kerberos>
croaks C<KFK_ERR_STATE> before C<sasl('GSSAPI', ...)>. The login is the
connection's own, kept across its reconnects.

Each partition of a client C<produce> result also carries C<timestamp>
(the record's) and C<log_append_time> (the broker's time on a topic with
C<message.timestamp.type=LogAppendTime>, then also the timestamp; -1
otherwise), as Kafka's produce response does. A C<commit> made while the
group rebalances or its coordinator moves waits for it, then reports an
error rather than a commit it did not make; a coordinator move alone
never takes partitions away.

Logs and statistics (fields in libkfk's F<docs/STATISTICS.md>):
C<< on_log => sub { my ($level, $context, $message) = @_ } >> receives
log lines at C<log_level> (C<error>, C<warn> (default), C<info>, C<debug>)
and the debug tracing of the C<debug> contexts (C<broker>, C<protocol>,
C<producer>, C<consumer>, C<group>, C<txn>, C<metadata>, C<all>, comma
separated). Without C<on_log> no lines are sent, unless C<log_level> or
C<debug> is given: then they go to C<warn>. A record produced without a
callback whose delivery fails, which EV::Kafka drops, becomes such a line
(level C<error>, context C<producer>, naming the topic, partition and
error); its successful delivery costs nothing in Perl. With C<statistics_interval_ms>
set, C<< on_stats => sub { my ($stats) = @_ } >> receives a hash reference
at that interval. Passwords never appear in either.

Admin calls on the client, each finishing with C<< $cb->($result, $err) >>:

=over

=item create_topics(\@topics, $timeout_ms, $cb), delete_topics(\@names, $timeout_ms, $cb)

C<< {topics => [{name, error_code, error_message}]} >>; each topic is
C<< {name, num_partitions, replication_factor, config => {...}} >>.

=item describe_cluster($cb)

C<< {cluster_id, controller_id, brokers => [{node_id, host, port, rack}]} >>.

=item list_groups($cb), describe_groups(\@group_ids, $cb)

C<< {groups => [{group_id, protocol_type, state, type}]} >>, and with
C<describe_groups> each group's C<members> with their C<assignment>
(C<< {topic => [partitions]} >>).

=item describe_topic_configs(\@topics, $cb)

C<< {topics => [{name, error_code, configs => {key => {value, source, read_only, sensitive}}}]} >>.

=item alter_topic_configs($topic, \%configs, $cb)

Sets the given keys; an C<undef> value resets a key to its default.

=item create_partitions($topic, $total, $timeout_ms, $cb)

=item delete_records([{topic, partition, offset}], $timeout_ms, $cb)

Deletes the records before each offset:
C<< {partitions => [{topic, partition, low_watermark, error_code}]} >>.

=item group_lag($group_id, $cb)

C<< {"topic:partition" => {committed, latest, lag}} >> for what the group
committed.

=item delete_groups(\@group_ids, $cb)

Deletes groups with no members, of any kind:
C<< {groups => [{group_id, error_code, error_message}]} >>.

=item list_share_groups(\@states, $cb), describe_share_groups(\@group_ids, $cb)

Share groups (KIP-932): C<< {groups => [{group_id, state}]} >>, only those
in C<@states> (C<empty>, C<stable>, C<dead>) when it is not empty; and
with C<describe_share_groups> each group's C<state>, C<epoch>,
C<assignment_epoch>, C<assignor> and C<members> with their C<client_id>,
C<client_host>, C<subscribed_topics> and C<assignment>
(C<< {topic => [partitions]} >>).

=item share_group_offsets($group_id, $cb)

C<< {"topic:partition" => {start_offset, latest, lag}} >> for every
partition the share group has a start offset on.

=item alter_share_group_offsets($group_id, [{topic, partition, offset}], $cb), delete_share_group_offsets($group_id, \@topics, $cb)

Move or forget the start offsets of a share group with no members:
C<< {partitions => [{topic, partition, error_code, error_message}]} >>
and C<< {topics => [{topic, error_code, error_message}]} >>.

=back

=head2 Share groups

Share groups (KIP-932, Kafka 4.1+; queues) let many members read the same
partitions: the broker hands each record to one member at a time, locked
for the group's C<share.record.lock.duration.ms> (30 s by default), and
counts its deliveries. A record handed over is then accepted (done),
released (delivered again, to any member) or rejected (never delivered
again); one whose lock runs out, or whose member leaves, is delivered
again. A share subscription is separate from C<subscribe> and C<assign>.
A new share group starts at the latest record unless its
C<share.auto.offset.reset> group config says C<earliest>.

=over

=item share_subscribe(@topics, group_id => $group, on_record => $cb, %options)

Joins the share group; records then flow to C<< $cb->($record) >> from the
loop without poll calls, until C<share_unsubscribe> or C<close>.
C<$record> is a hash reference: C<topic>, C<partition>, C<offset>, C<key>,
C<value>, C<timestamp>, C<timestamp_type>, C<headers> (when the record has
any) and C<delivery_count> (1 the first time it is handed out, 2 the
second...). Options: C<< acknowledgement_mode => 'implicit' >> (the
default: what one round handed over is accepted when the next round
starts, so a record is done once C<$cb> returns) or C<'explicit'> (settle
every record with C<share_acknowledge>); C<acquire_mode>
(C<batch_optimized>, the default, or C<record_limit>: at most
C<max_poll_records> records per fetch). The C<share_> spellings of these
(C<share_acknowledgement_mode>, C<share_acquire_mode>) work too. A bad or
unknown option croaks naming it. Subscribing again leaves the previous
share group first.

=item share_acknowledge($record, $type), share_acknowledge($topic, $partition, $offset, $type)

Settles one record handed over in explicit mode; C<$type> is C<accept>,
C<release> or C<reject>. It reaches the broker with the member's next
fetch, or at once with C<share_commit>. Croaks for an unknown type,
without a share subscription, in implicit mode, and for a record not
handed over or settled already, saying which.

=item share_commit($cb)

Sends the acknowledgements made so far (in implicit mode, accepting what
the last round handed over) without waiting for the next fetch:
C<< $cb->(\@results, $err) >>, a C<< {topic, partition, error_code, by_fetch} >>
per partition (C<error_code> 121, INVALID_RECORD_STATE, when a record's
lock had run out and it went to another member), listing too the
partitions whose acknowledgements a fetch carried since the last commit
(C<by_fetch> true); C<$err> without a share subscription.

=item share_unsubscribe($cb)

Settles what the member holds (implicit mode: accepts what was handed
over; records not acknowledged or never handed over are released to the
other members), leaves the group and calls C<< $cb->() >>. C<close> does
the same.

=back

See F<examples/perl/share_consumer.pl>.

=head1 BENCHMARKS

F<bench/benchmark.pl> and F<bench/latency.pl> reproduce the shape of the
original module's benchmark section; C<BENCH_BROKER>, C<BENCH_MESSAGES>,
C<BENCH_VALUE_SIZE> and C<BENCH_TOPIC> customize them.
F<bench/throughput.pl> measures the cluster client: C<produce> with a
callback each, C<produce_many> and consuming through C<on_message>, each
with msgs/s and CPU per record.

C<produce_many> is the fast way to send many messages: plain messages
(without headers or a timestamp) cross into libkfk once per topic and
partition, as columns.

=cut
