package EV::Kafka::Client;

# The cluster client of EV::Kafka: options, connect, the producer (produce,
# produce_many, flush), close. Callbacks run from the EV loop.

use strict;
use warnings;
use Carp ();
use Scalar::Util ();
use FFI::Platypus::Buffer qw(scalar_to_buffer);
use Kfk::FFI;
use EV::Kafka::Queue;
use EV::Kafka::Conn;

our $VERSION = '0.4.0';

# Croaks and warnings name the program's line, also through EV::Kafka->new.
our @CARP_NOT = qw(EV::Kafka);

use constant UNKNOWN_TOPIC_OR_PARTITION => 3;    # Kafka's error code

# Options passed to libkfk as they are (kfk's option names are EV::Kafka's):
# EV::Kafka's documented ones, then kfk's additions.
my @PASSTHROUGH = qw(brokers client_id acks linger_ms batch_size compression idempotent
    transactional_id fetch_max_wait_ms fetch_max_bytes fetch_min_bytes metadata_refresh
    delivery_timeout_ms retry_backoff_ms max_in_flight max_buffered_messages request_timeout_ms
    max_buffered_kbytes message_max_bytes transaction_timeout_ms isolation_level auto_offset_reset
    fetch_partition_max_bytes prefetch_bytes max_poll_records log_level debug statistics_interval_ms
    batch_num_messages check_crcs compression_level);
my %CALLBACKS = map { $_ => 1 } qw(on_error on_connect on_message partitioner on_log on_stats);
my %KNOWN = (map({ $_ => 1 } @PASSTHROUGH, keys %CALLBACKS), tls => 1, tls_ca_file => 1,
    tls_skip_verify => 1, sasl => 1, loop => 1);
# The sasl hash: EV::Kafka's mechanism, username and password,
# OAUTHBEARER's token sources and GSSAPI's Kerberos settings (the kfk
# option each sets; '1': handled apart). krb5_config, not config: that is
# OAUTHBEARER's.
my %SASL_KEYS = (mechanism => '1', username => 'sasl_username', password => 'sasl_password',
    service_name => 'sasl_kerberos_service_name', principal => 'sasl_kerberos_principal',
    keytab => 'sasl_kerberos_keytab', krb5_config => 'sasl_kerberos_config', ccache => 'sasl_kerberos_ccache',
    token => 'sasl_oauthbearer_token', token_cb => '1', extensions => '1',
    method => 'sasl_oauthbearer_method', token_endpoint_url => 'sasl_oauthbearer_token_endpoint_url',
    client_id => 'sasl_oauthbearer_client_id', client_secret => 'sasl_oauthbearer_client_secret',
    scope => 'sasl_oauthbearer_scope', ca_file => 'sasl_oauthbearer_ca_file',
    unsecure_jwt => 'sasl_oauthbearer_unsecure_jwt', config => 'sasl_oauthbearer_config');
# EV::Kafka's documented defaults, where $client->{cfg} starts.
my %DEFAULTS = (brokers => '127.0.0.1:9092', client_id => 'ev-kafka', acks => -1, linger_ms => 5,
    batch_size => 16384, idempotent => 0, fetch_max_wait_ms => 500, fetch_max_bytes => 1048576,
    fetch_min_bytes => 1, metadata_refresh => 300);

sub new {
    my ($class, %opt) = @_;
    # EV::Kafka ignores options it does not know; a warning shows a typo.
    for my $k (sort keys %opt) {
        Carp::carp("EV::Kafka: unknown option '$k' ignored") unless $KNOWN{$k};
    }
    my $queue = EV::Kafka::Queue->shared($opt{loop});
    my $conf;
    Kfk::FFI::kfk_conf_new(\$conf);
    my $set = sub {
        my ($k, $v) = @_;
        my $err = "\0" x 512;
        my ($ep) = scalar_to_buffer($err);
        if (Kfk::FFI::kfk_conf_set($conf, $k, "$v", $ep, 512)) {
            Kfk::FFI::kfk_conf_destroy($conf);
            Carp::croak("EV::Kafka: " . Kfk::FFI::cstring($ep));
        }
    };
    $set->(client_id => 'ev-kafka') unless defined $opt{client_id};
    $set->(brokers => '127.0.0.1:9092') unless defined $opt{brokers};
    for my $k (@PASSTHROUGH) {
        $set->($k, $opt{$k}) if defined $opt{$k};
    }
    # A record produced without a callback has nobody to tell of its
    # success: the library reports only its failure.
    $set->(delivery_reports => 'failed');
    # Log lines cross into Perl only when someone listens: on_log, or an
    # explicit log_level/debug (then they go to warn).
    $set->(log_level => 'off') unless $opt{on_log} || defined $opt{log_level} || defined $opt{debug};
    $set->(tls => $opt{tls} ? 1 : 0) if defined $opt{tls};
    $set->(tls_ca_file => $opt{tls_ca_file}) if defined $opt{tls_ca_file};
    $set->(tls_skip_verify => $opt{tls_skip_verify} ? 1 : 0) if defined $opt{tls_skip_verify};
    my $token_cb;
    if (my $sasl = $opt{sasl}) {
        Carp::croak("EV::Kafka: sasl must be a hash reference") unless ref $sasl eq 'HASH';
        for my $k (sort keys %$sasl) {
            Carp::croak("EV::Kafka: unknown sasl option '$k'") unless $SASL_KEYS{$k};
        }
        $set->(sasl_mechanism => $sasl->{mechanism} // 'PLAIN');
        for my $k (grep { defined $sasl->{$_} && !ref $sasl->{$_} } sort keys %SASL_KEYS) {
            $set->($SASL_KEYS{$k}, $sasl->{$k}) if $SASL_KEYS{$k} ne '1';
        }
        if (my $ext = $sasl->{extensions}) {
            Carp::croak("EV::Kafka: sasl extensions must be a hash reference") unless ref $ext eq 'HASH';
            $set->(sasl_oauthbearer_extensions => join ',', map {"$_=$ext->{$_}"} sort keys %$ext);
        }
        if ($token_cb = $sasl->{token_cb}) {
            Carp::croak("EV::Kafka: sasl token_cb must be a code reference") unless ref $token_cb eq 'CODE';
            $set->(sasl_oauthbearer_method => 'application');
        }
    }
    my $err = "\0" x 512;
    my ($ep) = scalar_to_buffer($err);
    my $h;
    my $rc = Kfk::FFI::kfk_client_new($queue->handle, $conf, \$h, $ep, 512);
    Kfk::FFI::kfk_conf_destroy($conf);
    Carp::croak("EV::Kafka: " . Kfk::FFI::cstring($ep)) if $rc;
    # cfg: what EV::Kafka programs read (options, producer_id and
    # producer_epoch once known) and may store things in.
    # live: assign's hashes by "partition topic" (one hash for the client's
    # life: polls under way hold it).
    my $self = bless { h => $h, queue => $queue, pid => $$, auto_offset_reset => $opt{auto_offset_reset},
        live => {}, cfg => { %DEFAULTS, map { $_ => $opt{$_} } grep { !$CALLBACKS{$_} } keys %opt },
        map { $_ => $opt{$_} } grep { $CALLBACKS{$_} } keys %opt }, $class;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    # An idempotent producer's id and epoch can change with any delivery
    # (an epoch bump after a sequence error): its reports refresh them.
    # The others' reports go from the queue to the callback directly.
    $self->{delivered} = sub { $weak->_note_producer_id if $weak; &_delivered }
        if $opt{idempotent} || defined $opt{transactional_id};
    $self->{event_tag} = $queue->register(sub {
        my ($type, $result, $errstr) = @_;
        return unless $weak;
        if ($type == Kfk::FFI::EVENT_ERROR) {
            $weak->_error($errstr);
        } elsif ($type == Kfk::FFI::EVENT_LOG) {
            $weak->_log($result);
        } elsif ($type == Kfk::FFI::EVENT_DELIVERY) {    # a failure: a callback would have had it
            $weak->_log({ level_name => 'error', context => 'producer',
                message => "a record to $result->{topic} [$result->{partition}] produced without a callback "
                    . "failed: $errstr" }) if $weak->{log_failures};
        } elsif ($type == Kfk::FFI::EVENT_STATS && $weak->{on_stats}) {
            require JSON::PP;
            $weak->{on_stats}->(JSON::PP::decode_json($result));
        } elsif ($type == Kfk::FFI::EVENT_OAUTHBEARER_TOKEN_REFRESH && $token_cb) {
            $weak->_refresh_token($token_cb);
        }
    }, EV::Kafka::Queue::STANDING);
    Kfk::FFI::kfk_client_set_event_handler($h, undef, $self->{event_tag});
    $queue->{sources}{$h} = $self->{event_tag};
    # A record produced without a callback that fails becomes a log line
    # where the program listens to logs (EV::Kafka drops it).
    $self->{log_failures} = ($opt{on_log} || defined $opt{log_level} || defined $opt{debug})
        && ($opt{log_level} // '') ne 'off';
    return $self;
}

# Asks token_cb for an OAUTHBEARER token: it returns ($token,
# $expiry_seconds_since_epoch, [$principal, \%extensions]), or dies with
# why it has none, which fails the connections waiting for it.
sub _refresh_token {
    my ($self, $token_cb) = @_;
    my ($token, $expiry, $principal, $ext) = eval { $token_cb->() };
    my $why = $@;
    if (!$why && !(defined $token && defined $expiry)) {
        $why = 'token_cb returned no ($token, $expiry)';
    }
    if (!$why) {
        my @keep;
        my @pairs = map { ($_, $ext->{$_}) } sort keys %{ $ext // {} };
        my $err = "\0" x 512;
        my ($ep) = scalar_to_buffer($err);
        my $rc = Kfk::FFI::kfk_oauthbearer_set_token($self->_h, "$token", int($expiry * 1000), $principal,
            Kfk::FFI::str_array(\@keep, \@pairs), @pairs / 2, $ep, 512);
        return unless $rc;
        $why = Kfk::FFI::cstring($ep);
    }
    $why =~ s/ at \S+ line \d+\.?\n?\z//;
    Kfk::FFI::kfk_oauthbearer_set_token_failure($self->_h, "token_cb: $why");
}

sub _h {
    my ($self) = @_;
    Carp::croak("EV::Kafka: this client belongs to the parent process; libkfk cannot be used after fork()")
        if $self->{pid} != $$;
    Carp::croak("EV::Kafka: the client is closed") unless $self->{h};
    return $self->{h};
}

# Connection-level errors go to on_error; without one, they die (from the
# EV loop, as EV reports exceptions of callbacks).
sub _error {
    my ($self, $errstr) = @_;
    return $self->{on_error}->($errstr) if $self->{on_error};
    die "EV::Kafka: $errstr\n";
}

# A log line goes to on_log($level, $context, $message), or to warn.
sub _log {
    my ($self, $line) = @_;
    return $self->{on_log}->(@{$line}{qw(level_name context message)}) if $self->{on_log};
    warn "EV::Kafka $line->{level_name}: $line->{context}: $line->{message}\n";
}

# Makes a request: $send->($tag) calls the library with $tag as its
# opaque, and $cb (getting ($result) or (undef, $error)) is registered
# once the call is accepted: a refused call croaks and leaves nothing
# pending to keep the loop alive.
sub _call {
    my ($self, $what, $cb, $send) = @_;
    my $queue = $self->{queue};
    my $tag = $queue->new_tag;
    my $rc = $send->($tag);
    Carp::croak("$what: " . _err_text($rc)) if $rc;
    $queue->register_request($cb, $tag);
    return;
}

# The loop stays alive while the client is connected or in a group, as
# the XS module's connections and timers keep it.
sub _busy {
    my ($self) = @_;
    $self->{queue}->busy(Scalar::Util::refaddr($self),
        $self->{h} && ($self->{connected} || $self->{subscribed} || $self->{share}));
}

# connect's callback gets the metadata, then on_connect runs, once in the
# client's life, as EV::Kafka does both. They wait for the bootstrap
# connection too, which connects meanwhile.
sub connect {
    my ($self, $cb) = @_;
    $self->_call(connect => sub {
        my ($meta, $errstr) = @_;
        # failed: the client's ERROR event, queued first, brought it to on_error
        $self->{connected} = !$errstr;
        $self->_busy;
        return $self->_drop_bootstrap if $errstr;
        $self->_note_producer_id;
        $self->{cfg}{meta} = $meta;
        $self->_after_bootstrap(sub {
            $self->_bootstrap_failed;
            $cb->($meta) if $cb;
            my $on_connect = delete $self->{on_connect};
            $on_connect->() if $on_connect;
        });
    }, sub { Kfk::FFI::kfk_client_connect($self->_h, undef, $_[0]) });
    $self->{connected} = 1;
    $self->_busy;
    $self->_bootstrap_start;
    return;
}

# ---- the bootstrap connection ----------------------------------------------
#
# EV::Kafka programs send requests of their own through
# $kafka->{cfg}{bootstrap_conn}, an EV::Kafka::Conn connected to a
# bootstrap broker, from connect's callback on. It is made with the
# client's client_id, TLS and SASL settings when connect is called and
# connects alongside the client (not after it: connect takes no longer);
# close and DESTROY disconnect it.

use constant BOOTSTRAP_TIMEOUT => 10;    # seconds per broker

# [$host, $port] of each entry of the brokers option: host:port,
# [v6-address]:port, or a host alone (port 9092).
sub _broker_addresses {
    my ($list) = @_;
    my @addresses;
    for my $broker (split /,/, $list // '') {
        $broker =~ s/^\s+|\s+$//g;
        next unless length $broker;
        my ($host, $port) = $broker =~ /^\[(.+)\](?::(\d+))?$/ ? ($1, $2)
                          : $broker =~ /^(.+):(\d+)$/          ? ($1, $2) : ($broker);
        push @addresses, [$host, $port // 9092];
    }
    return \@addresses;
}

# Starts connecting the bootstrap connection unless it is connected or on
# its way; makes it the first time.
sub _bootstrap_start {
    my ($self) = @_;
    my $boot = $self->{boot} ||= $self->_bootstrap_new or return;
    my $conn = $boot->{conn};
    return if $conn->state != Kfk::FFI::CONN_DISCONNECTED;
    $boot->{todo} = _broker_addresses($self->{cfg}{brokers});
    $boot->{connecting} = 1;
    $self->_bootstrap_next;
}

# {conn => an EV::Kafka::Conn set up as the client's connections are}, or
# nothing when it cannot be: OAUTHBEARER tokens come only from the token
# option or token_cb here (OIDC and unsecured tokens are the client's own).
# A GSSAPI connection logs in by itself with the client's settings, but
# the Conn API names no credential cache: a client given a ccache (and
# neither keytab nor password) gets none, rather than one reading another
# cache.
sub _bootstrap_new {
    my ($self) = @_;
    my $cfg = $self->{cfg};
    my $sasl = ref $cfg->{sasl} eq 'HASH' ? $cfg->{sasl} : undef;
    my ($mechanism, $user, $password) = $sasl ? (uc($sasl->{mechanism} // 'PLAIN'), @{$sasl}{qw(username password)}) : ();
    my $gssapi = ($mechanism // '') eq 'GSSAPI';
    if ($gssapi) {
        return if defined $sasl->{ccache} && !length($sasl->{keytab} // '') && !length($password // '');
        $user = $sasl->{principal} // $user;    # as the client: the principal, else the username
    }
    if (($mechanism // '') eq 'OAUTHBEARER') {
        ($password) = defined $sasl->{token} ? $sasl->{token} : $sasl->{token_cb} ? eval { $sasl->{token_cb}->() } : ();
        return unless defined $password;    # a failing token_cb reaches on_error through the client
    }
    my $weak = $self;
    Scalar::Util::weaken($weak);
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', $self->{queue}{loop});
    my $ok = eval {
        $conn->client_id($cfg->{client_id} // 'ev-kafka');
        $conn->tls(1, $cfg->{tls_ca_file}, $cfg->{tls_skip_verify}) if $cfg->{tls};
        $conn->sasl($mechanism, $user, $password) if $mechanism;
        $conn->kerberos(@{$sasl}{qw(service_name keytab krb5_config)}) if $gssapi;
        1;
    };
    return $self->_bootstrap_log("cannot be set up: $@") unless $ok;
    $conn->on_connect(sub { $weak->_bootstrap_connected if $weak });
    $conn->on_error(sub { $weak->_bootstrap_error(@_) if $weak });
    return { conn => $conn };
}

# Tries the next bootstrap broker; once none is left, connect's callback
# goes on without a connected bootstrap_conn.
sub _bootstrap_next {
    my ($self) = @_;
    my $boot = $self->{boot};
    while (my $address = shift @{ $boot->{todo} }) {
        return if eval { $boot->{conn}->connect(@$address, BOOTSTRAP_TIMEOUT); 1 };
        $boot->{error} = $@ =~ s/ at \S+ line \d+\.?\n?\z//r;
    }
    $boot->{connecting} = 0;
    $self->_bootstrap_settled;
}

sub _bootstrap_connected {
    my ($self) = @_;
    my $boot = $self->{boot} or return;
    $boot->{connecting} = 0;
    delete $boot->{error};
    $self->{cfg}{bootstrap_conn} = $boot->{conn};
    $self->_bootstrap_settled;
}

# A broker that failed is followed by the next; once connected, the
# connection's errors are the client's, as EV::Kafka reports them.
sub _bootstrap_error {
    my ($self, $err) = @_;
    my $boot = $self->{boot} or return;
    return $self->_error($err) unless $boot->{connecting};
    $boot->{error} = $err;
    $self->_bootstrap_next;
}

sub _bootstrap_settled {
    my ($self) = @_;
    my $waiting = delete $self->{boot}{waiting} or return;
    $_->() for @$waiting;
}

# When the client connected but its bootstrap connection could not, says
# why, and leaves that connection in cfg: the program's requests through it
# croak "not connected".
sub _bootstrap_failed {
    my ($self) = @_;
    my $boot = $self->{boot} or return;
    return if $boot->{conn}->connected;
    $self->{cfg}{bootstrap_conn} = $boot->{conn};
    $self->_bootstrap_log('could not connect to any bootstrap broker: ' . ($boot->{error} // 'disconnected'));
}

sub _bootstrap_log {
    my ($self, $why) = @_;
    return if ($self->{cfg}{log_level} // '') eq 'off';
    $self->_log({ level_name => 'warn', context => 'broker', message => "bootstrap_conn $why" });
    return;
}

# Runs $then once the bootstrap connection is connected or has failed.
sub _after_bootstrap {
    my ($self, $then) = @_;
    my $boot = $self->{boot};
    return $then->() unless $boot && $boot->{connecting};
    push @{ $boot->{waiting} }, $then;
}

# Disconnects the bootstrap connection and takes it out of cfg (a program
# holding it gets "not connected"). Callbacks waiting for it run now.
sub _drop_bootstrap {
    my ($self) = @_;
    my $boot = delete $self->{boot} or return;
    delete $self->{cfg}{bootstrap_conn};
    if (my $conn = $boot->{conn}) {    # global destruction may have freed it first
        $conn->on_connect(undef);
        $conn->on_error(sub { });    # its late failures are moot
        $conn->disconnect if $conn->{h} && $conn->{pid} == $$;
    }
    my $waiting = delete $boot->{waiting};
    return if !$waiting || ${^GLOBAL_PHASE} eq 'DESTRUCT';
    $_->() for @$waiting;
}

# The partition for $key by the custom partitioner, once the topic's
# partition count is known (-1 lets libkfk's partitioner choose).
sub _partition {
    my ($self, $topic, $key) = @_;
    return -1 unless $self->{partitioner};
    my $n = Kfk::FFI::kfk_client_partition_count($self->{h}, $topic);
    return undef if $n < 0;
    return $self->{partitioner}->($topic, $key, $n);
}

# Queues one message: one pack of a kfk_message_t whose pointers are
# those of the byte strings here. What the library refuses at once (too
# large, a bad topic name, a full buffer) goes to $cb from the loop, as
# EV::Kafka reports request errors: produce never croaks for it. The
# callback waits in a slot of the queue that the message's opaque names.
sub produce {
    my ($self, $topic, $key, $value, $opts, $cb) = @_;
    if (@_ > 6) {
        $cb = ref $_[-1] eq 'CODE' ? $_[-1] : undef;
    } elsif (ref $opts eq 'CODE') {
        ($opts, $cb) = (undef, $opts);
    } elsif (ref $cb ne 'CODE') {
        $cb = undef;
    }
    $opts = undef unless ref $opts eq 'HASH';
    Carp::croak("produce: topic is required") unless defined $topic && length $topic;
    # After fork() the library refuses the call (KFK_ERR_FORKED): _h then
    # croaks as it does for every other method.
    my $h = $self->{h} || $self->_h;
    if (ref $topic || ref $key || ref $value || utf8::is_utf8($topic) || utf8::is_utf8($key)
        || utf8::is_utf8($value)) {
        ($topic, $key, $value) = map { defined ? Kfk::FFI::bytes("$_") : undef } $topic, $key, $value;
    }
    my ($partition, $hp, $hn, $ts, @keep) = (-1, 0, 0, -1);
    if ($opts || $self->{partitioner}) {
        $partition = $opts && defined $opts->{partition} ? $opts->{partition}
                   : $self->{partitioner} ? $self->_partition($topic, $key) : -1;
        if (!defined $partition) {
            # The custom partitioner needs the topic's partition count: ask
            # the cluster first (a bad header croaks now, not from the loop).
            Kfk::FFI::headers([], $opts->{headers}) if $opts && $opts->{headers};
            $self->_after_metadata([$topic], sub {
                $partition = $self->_partition($topic, $key);
                return $self->produce($topic, $key, $value, { %{ $opts // {} }, partition => $partition }, $cb)
                    if defined $partition;
                $cb->(undef, _err_text(UNKNOWN_TOPIC_OR_PARTITION)) if $cb;
            });
            return;
        }
        ($hp, $hn) = Kfk::FFI::headers(\@keep, $opts->{headers}) if $opts && $opts->{headers};
        $ts = $opts->{timestamp} if $opts && defined $opts->{timestamp};
    }
    my $queue = $self->{queue};
    # No callback: NULL opaque, and the library reports only a failure.
    # An idempotent client's report goes through a handler (producer id).
    my $tag = !$cb ? 0 : $self->{delivered} ? $queue->{next_tag}++
            : EV::Kafka::Queue::SLOT + (pop(@{ $queue->{free} }) // scalar @{ $queue->{slots} });
    my $rc = Kfk::FFI::_kfk_produce($h, pack(Kfk::FFI::MESSAGE_OUT, $topic, $partition, 0, -1, $ts,
        $key, length($key) // 0, $value, length($value) // 0, $hp, $hn, $tag, 0, 0), undef);
    $self->_h if $rc == Kfk::FFI::ERR_FORKED;
    return unless $cb;
    if ($rc) {
        push @{ $queue->{free} }, $tag - EV::Kafka::Queue::SLOT if $tag >= EV::Kafka::Queue::SLOT;
        return $queue->later($cb, undef, _err_text($rc));
    }
    if ($tag >= EV::Kafka::Queue::SLOT) {
        $queue->{slots}[$tag - EV::Kafka::Queue::SLOT] = $cb;
    } else {
        $queue->{handlers}{$tag} = [$self->{delivered}, 0, $cb];
    }
    $queue->{pending}++;
    $queue->settle unless $queue->{kept};
    return;
}

# Copies the producer's id and epoch into cfg once the library has them.
sub _note_producer_id {
    my ($self) = @_;
    my ($id, $epoch);
    return if Kfk::FFI::kfk_client_producer_id($self->{h}, \$id, \$epoch) != Kfk::FFI::OK;
    @{ $self->{cfg} }{qw(producer_id producer_epoch)} = ($id, $epoch);
}

# "NAME: description" of an error code, as libkfk words broker errors.
sub _err_text {
    my ($code) = @_;
    return Kfk::FFI::kfk_err_name($code) . ': ' . Kfk::FFI::kfk_err_string($code);
}

# A delivery report, as the produce callback's ($result, $error).
sub _delivered {
    my (undef, $m, $errstr, $err, $cb) = @_;
    # As Kafka's produce response: log_append_time is the broker's time for
    # a LogAppendTime topic, -1 otherwise; timestamp is the record's.
    my $appended = $m->{timestamp_type} == Kfk::FFI::TIMESTAMP_LOG_APPEND_TIME;
    my $result = { topics => [{ topic => $m->{topic}, partitions => [{ partition => $m->{partition},
        error_code => $err > 0 ? $err : 0, base_offset => $m->{offset}, timestamp => $m->{timestamp},
        log_append_time => $appended ? $m->{timestamp} : -1 }] }] };
    $cb->($result, $errstr);
}

# Runs $then once metadata for @$topics has been asked for (whether or not
# the cluster knows them).
sub _after_metadata {
    my ($self, $topics, $then) = @_;
    my @keep;
    $self->_call(metadata => $then, sub {
        Kfk::FFI::kfk_client_metadata($self->_h, Kfk::FFI::str_array(\@keep, $topics), scalar @$topics, undef, $_[0]);
    });
}

# produce_many(\@messages, $cb): $cb gets undef when every message was
# delivered, else a list of the failures' error strings (in the messages'
# order). A message the library refuses is listed there without stopping
# the others. Plain messages go as columns, one kfk_produce_values call per
# topic and partition (each partition's messages in their order), after
# the metadata a custom partitioner waits for; with headers or a
# timestamp, every message goes as a kfk_message_t in one
# kfk_produce_many call.
sub produce_many {
    my ($self, $messages, $cb) = @_;
    Carp::croak("produce_many: messages must be an array reference") unless ref $messages eq 'ARRAY';
    my $first = $messages->[0];
    my $topic = ref $first eq 'ARRAY' ? $first->[0] : undef;
    if (defined $topic && length $topic && !$self->{partitioner}
        && !grep { ref $_ ne 'ARRAY' || @$_ > 3 || !defined $_->[0] || $_->[0] ne $topic } @$messages) {
        # the common case: [$topic, $key, $value] of one topic
        return $self->_produce_columns([[$topic, -1, scalar @$messages,
            grep({ defined $_->[1] } @$messages) ? _column(map $_->[1], @$messages) : (undef, undef),
            _column(map $_->[2], @$messages)]], $cb, []);
    }
    # a partitioner is called once per message: decide before calling it
    return $self->_produce_structs($messages, $cb) if $self->{partitioner} && grep {
        my $o = ref $_ eq 'ARRAY' ? $_->[3] : $_;
        ref $o eq 'HASH' && (defined $o->{headers} || defined $o->{timestamp})
    } @$messages;
    # runs [$topic, $partition, \@keys, \@values, \@indices] by partition
    my (%runs, @runs, @unknown);
    my $add = sub {
        my ($topic, $partition, $key, $value, $i) = @_;
        my $run = $runs{"$partition:$topic"} ||= do { push @runs, [$topic, $partition, [], [], []]; $runs[-1] };
        push @{ $run->[2] }, $key;
        push @{ $run->[3] }, $value;
        push @{ $run->[4] }, $i;
    };
    for my $i (0 .. $#$messages) {
        my $m = $messages->[$i];
        my ($topic, $key, $value, $opts) = ref $m eq 'ARRAY' ? @$m
            : ref $m eq 'HASH' ? (@{$m}{qw(topic key value)}, $m)
            : Carp::croak("produce_many: each message must be an array or hash reference");
        Carp::croak("produce_many: every message needs a topic") unless defined $topic && length $topic;
        $opts = undef unless ref $opts eq 'HASH';
        return $self->_produce_structs($messages, $cb)
            if $opts && (defined $opts->{headers} || defined $opts->{timestamp});
        my $partition = $opts && defined $opts->{partition} ? $opts->{partition}
                      : $self->{partitioner} ? $self->_partition($topic, $key) : -1;
        # undef: the partitioner waits for the topic's metadata
        defined $partition ? $add->($topic, $partition, $key, $value, $i) : push @unknown, [$topic, $key, $value, $i];
    }
    return $self->_produce_columns(_runs_columns(@runs), $cb, []) unless @unknown;
    Kfk::FFI::bytes($_) for grep { defined } map { @$_[1, 2] } @unknown;    # croak on a bad argument now
    $self->_after_metadata([sort keys %{{ map { $_->[0] => 1 } @unknown }}], sub {
        my @errors;
        for (@unknown) {
            my ($topic, $key, $value, $i) = @$_;
            my $partition = $self->_partition($topic, $key);
            # a topic the cluster does not know: failed, as EV::Kafka reports it
            defined $partition ? $add->($topic, $partition, $key, $value, $i)
                : push @errors, _err_text(UNKNOWN_TOPIC_OR_PARTITION);
        }
        for my $run (@runs) {    # each partition's messages in their order again
            my @order = sort { $run->[4][$a] <=> $run->[4][$b] } 0 .. $#{ $run->[4] };
            $run->[$_] = [@{ $run->[$_] }[@order]] for 2 .. 4;
        }
        $self->_produce_columns(_runs_columns(@runs), $cb, \@errors);
    });
    return;
}

# Runs [$topic, $partition, \@keys, \@values, \@indices] as
# _produce_columns takes them.
sub _runs_columns {
    return [map {
        my ($topic, $partition, $keys, $values, $indices) = @$_;
        [$topic, $partition, scalar @$values, grep({ defined } @$keys) ? _column(@$keys) : (undef, undef),
            _column(@$values), $indices]
    } @_];
}

# One kfk_produce_values call per run [$topic, $partition, $n, $key_bytes,
# $key_lens, $value_bytes, $value_lens, \@indices (of the messages, for
# the errors' order; undef: in order)], and one callback once each has its
# RESULT; @$errors come first.
sub _produce_columns {
    my ($self, $runs, $cb, $errors) = @_;
    my $h = $self->_h;
    my $queue = $self->{queue};
    my $call = { self => $self, cb => $cb, left => scalar @$runs, errors => $errors, failed => [] };
    for my $run (@$runs) {
        my ($topic, $partition, $n, @columns) = @$run;
        $topic = Kfk::FFI::bytes("$topic") if ref $topic || utf8::is_utf8($topic);
        my $tag = $queue->new_tag;
        my $rc = Kfk::FFI::_kfk_produce_values($h, $topic, $partition, @columns[2, 3, 0, 1], $n, undef, 0, undef,
            $tag, undef);
        Carp::croak("produce_many: " . _err_text($rc)) if $rc;    # a bad handle or argument: no RESULT comes
        $queue->register_tag($tag, \&_columns_done, 0, [$call, $columns[4]]);
    }
    $queue->later(\&_many_finish, $call) unless @$runs;    # from the loop, as a RESULT would come
    return;
}

# (bytes back to back, packed int32 lengths) of keys or values,
# KFK_NULL_LENGTH for undef. A string with the UTF-8 flag upgrades the
# join; downgrading it gives every string's bytes, and length counts them.
sub _column {
    my $bytes = join '', map { $_ // '' } @_;
    my $lens = pack 'l*', map { length($_) // -1 } @_;
    utf8::downgrade($bytes, 1) or Kfk::FFI::_wide() if utf8::is_utf8($bytes);
    return ($bytes, $lens);
}

sub _columns_done {
    my (undef, $failed, undef, undef, $part) = @_;
    my ($call, $indices) = @$part;
    push @{ $call->{failed} }, map { [$indices ? $indices->[$_->{index}] : $_->{index}, $_->{error}] }
        @{ $failed // [] };
    _many_finish($call) if --$call->{left} == 0;
}

sub _many_finish {
    my ($call) = @_;
    my ($self, $cb, $errors) = @{$call}{qw(self cb errors)};
    $self->_note_producer_id if $self->{delivered};
    push @$errors, map { $_->[1] } sort { $a->[0] <=> $b->[0] } @{ $call->{failed} };
    $cb->(@$errors ? $errors : undef) if $cb;
}

# produce_many through kfk_produce_many, a kfk_message_t per message.
sub _produce_structs {
    my ($self, $messages, $cb) = @_;
    my @msgs = map { $self->_many_message($_) } @$messages;
    my %unknown = map { $_->{topic} => 1 } grep { !defined $_->{partition} } @msgs;
    return $self->_produce_many(\@msgs, $cb) unless %unknown;
    Kfk::FFI::message([], $_) for @msgs;    # as produce: croak on a bad argument now
    $self->_after_metadata([sort keys %unknown], sub {
        $_->{partition} //= $self->_partition($_->{topic}, $_->{key}) for @msgs;
        $self->_produce_many(\@msgs, $cb);
    });
    return;
}

# One message of produce_many, [$topic, $key, $value, \%opts] or {topic,
# key, value, headers, partition, timestamp}, as a hash for Kfk::FFI::message.
sub _many_message {
    my ($self, $m) = @_;
    my ($topic, $key, $value, $opts) = ref $m eq 'ARRAY' ? @$m
        : ref $m eq 'HASH' ? (@{$m}{qw(topic key value)}, $m)
        : Carp::croak("produce_many: each message must be an array or hash reference");
    Carp::croak("produce_many: every message needs a topic") unless defined $topic && length $topic;
    $opts = {} unless ref $opts eq 'HASH';
    return { topic => $topic, key => $key, value => $value, headers => $opts->{headers},
        timestamp => $opts->{timestamp}, partition => $opts->{partition} // $self->_partition($topic, $key) };
}

# Sends the messages that have a partition; those whose topic the custom
# partitioner could not be given count as failed.
sub _produce_many {
    my ($self, $msgs, $cb) = @_;
    my @send = grep { defined $_->{partition} } @$msgs;
    my @errors = (_err_text(UNKNOWN_TOPIC_OR_PARTITION)) x (@$msgs - @send);
    my @keep;
    my $array = join '', map { Kfk::FFI::message(\@keep, $_) } @send;
    my $queue = $self->{queue};
    my $tag = $queue->new_tag;
    my $rc = Kfk::FFI::kfk_produce_many($self->_h, @send ? Kfk::FFI::ptr(\@keep, $array) : undef, scalar @send,
        undef, $tag, undef);
    Carp::croak("produce_many: " . _err_text($rc)) if $rc;    # a bad handle: no RESULT comes
    $queue->register_tag($tag, \&_many_done, 0, [$self, $cb, \@errors]);
    return;
}

sub _many_done {
    my (undef, $failed, undef, undef, $call) = @_;
    my ($self, $cb, $errors) = @$call;
    $self->_note_producer_id;
    push @$errors, map { $_->{error} } @{ $failed // [] };
    $cb->(@$errors ? $errors : undef) if $cb;
}

# ---- consumer -------------------------------------------------------------

# assign([{topic, partition, offset}, ...]); offset -2 earliest, -1 latest.
# As with EV::Kafka, the caller's hashes are the live assignment: seek and
# poll keep each one's offset at its partition's position (the next offset
# to read).
sub assign {
    my ($self, $parts) = @_;
    Carp::croak("assign: expected an array reference of {topic, partition, offset}") unless ref $parts eq 'ARRAY';
    my @keep;
    my @tps = map { { topic => $_->{topic}, partition => $_->{partition} // 0, offset => $_->{offset} // Kfk::FFI::OFFSET_LATEST } } @$parts;
    my $rc = Kfk::FFI::kfk_assign($self->_h, Kfk::FFI::tp_array(\@keep, \@tps), scalar @tps);
    Carp::croak("assign: " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    %{ $self->{live} } = map { (($_->{partition} // 0) . " $_->{topic}" => $_) } @$parts;
    return;
}

# pause([{topic, partition}, ...]): stop fetching and handing over these
# assigned partitions (what was fetched is kept, positions stay) until
# resume; a new assignment of a partition ends its pause. Croaks naming the
# call if one is not assigned (the others are still paused or resumed).
sub pause  { $_[0]->_pause_call(pause  => \&Kfk::FFI::kfk_pause,  $_[1]) }
sub resume { $_[0]->_pause_call(resume => \&Kfk::FFI::kfk_resume, $_[1]) }

sub _pause_call {
    my ($self, $what, $fn, $parts) = @_;
    Carp::croak("$what: expected an array reference of {topic, partition}") unless ref $parts eq 'ARRAY';
    my @keep;
    my @tps = map { { topic => $_->{topic}, partition => $_->{partition} // 0 } } @$parts;
    my $rc = $fn->($self->_h, Kfk::FFI::tp_array(\@keep, \@tps), scalar @tps);
    Carp::croak("$what: " . ($rc == Kfk::FFI::ERR_STATE() ? 'a partition is not assigned' : Kfk::FFI::kfk_err_string($rc))) if $rc;
    return;
}

# A request-level error goes to the callback as ($result, $error), as
# EV::Kafka documents; to on_error when there is no callback to tell.
sub _failed {
    my ($self, $what, $cb, $result, $err) = @_;
    return $cb->($result, $err) if $cb;
    $self->_error("$what: $err");
}

# seek($topic, $partition, $offset, [$cb]): $cb->() once the position is
# set, after the partition's hash of the live assignment shows it (-1 and
# -2 as the offset they stand for, which lag reports); ->(undef, $error)
# if it could not be.
sub seek {
    my ($self, $topic, $partition, $offset, $cb) = @_;
    $self->_call(seek => sub {
        my (undef, $err) = @_;
        return $self->_failed(seek => $cb, undef, $err) if $err;
        my $assigned = $self->{live}{"$partition $topic"};
        if (!$assigned || $offset >= 0) {
            $assigned->{offset} = $offset if $assigned;
            return $cb && $cb->();
        }
        $self->lag(sub {
            my ($lag) = @_;
            my $now = $lag->{"$topic:$partition"};
            $assigned->{offset} = $now->{current} if $now;
            $cb->() if $cb;
        });
    }, sub { Kfk::FFI::kfk_seek($self->_h, $topic, $partition, $offset, undef, $_[0]) });
}

# offsets_for and lag give their callback {} with an error, as the hash
# EV::Kafka always passes.
sub offsets_for {
    my ($self, $topic, $cb) = @_;
    $self->_call(offsets_for => sub {
        my ($res, $err) = @_;
        return $self->_failed("offsets_for $topic", $cb, {}, $err) if $err;
        $cb->($res) if $cb;
    }, sub { Kfk::FFI::kfk_offsets_for($self->_h, $topic, undef, $_[0]) });
}

sub lag {
    my ($self, $cb) = @_;
    $self->_call(lag => sub {
        my ($res, $err) = @_;
        return $self->_failed(lag => $cb, {}, $err) if $err;
        $cb->($res) if $cb;
    }, sub { Kfk::FFI::kfk_lag($self->_h, undef, $_[0]) });
}

# ---- admin (kfk's additions) ------------------------------------------------
#
# Each takes $cb->($result, $err). Calls about several resources report an
# error_code per resource in $result; alter_topic_configs and
# create_partitions pass the broker's refusal as $err.

sub _admin {
    my ($self, $what, $cb, $call) = @_;
    my @keep;
    $self->_call($what, $cb, sub { $call->(\@keep, $_[0]) });
}

sub create_topics {
    my ($self, $topics, $timeout_ms, $cb) = @_;
    $self->_admin(create_topics => $cb, sub {
        Kfk::FFI::kfk_admin_create_topics($self->_h, Kfk::FFI::new_topics($_[0], $topics), scalar @$topics,
            $timeout_ms // 30000, undef, $_[1]);
    });
}

sub delete_topics {
    my ($self, $names, $timeout_ms, $cb) = @_;
    $self->_admin(delete_topics => $cb, sub {
        Kfk::FFI::kfk_admin_delete_topics($self->_h, Kfk::FFI::str_array($_[0], $names), scalar @$names,
            $timeout_ms // 30000, undef, $_[1]);
    });
}

sub describe_cluster {
    my ($self, $cb) = @_;
    $self->_admin(describe_cluster => $cb, sub { Kfk::FFI::kfk_admin_describe_cluster($self->_h, undef, $_[1]) });
}

sub list_groups {
    my ($self, $cb) = @_;
    $self->_admin(list_groups => $cb, sub { Kfk::FFI::kfk_admin_list_groups($self->_h, undef, $_[1]) });
}

sub describe_groups {
    my ($self, $groups, $cb) = @_;
    $self->_admin(describe_groups => $cb, sub {
        Kfk::FFI::kfk_admin_describe_groups($self->_h, Kfk::FFI::str_array($_[0], $groups), scalar @$groups,
            undef, $_[1]);
    });
}

sub describe_topic_configs {
    my ($self, $topics, $cb) = @_;
    $self->_admin(describe_topic_configs => $cb, sub {
        Kfk::FFI::kfk_admin_describe_topic_configs($self->_h, Kfk::FFI::str_array($_[0], $topics),
            scalar @$topics, undef, $_[1]);
    });
}

# alter_topic_configs($topic, {key => value, key => undef (back to default)}, $cb)
sub alter_topic_configs {
    my ($self, $topic, $configs, $cb) = @_;
    my @kv = map { ($_, $configs->{$_}) } sort keys %$configs;
    $self->_admin(alter_topic_configs => $cb, sub {
        Kfk::FFI::kfk_admin_alter_topic_configs($self->_h, $topic, Kfk::FFI::str_array($_[0], \@kv),
            scalar @kv / 2, undef, $_[1]);
    });
}

sub create_partitions {
    my ($self, $topic, $total, $timeout_ms, $cb) = @_;
    $self->_admin(create_partitions => $cb, sub {
        Kfk::FFI::kfk_admin_create_partitions($self->_h, $topic, $total, $timeout_ms // 30000, undef, $_[1]);
    });
}

# delete_records([{topic, partition, offset}], $timeout_ms, $cb): records before offset.
sub delete_records {
    my ($self, $before, $timeout_ms, $cb) = @_;
    $self->_admin(delete_records => $cb, sub {
        Kfk::FFI::kfk_admin_delete_records($self->_h, Kfk::FFI::tp_array($_[0], $before), scalar @$before,
            $timeout_ms // 30000, undef, $_[1]);
    });
}

sub group_lag {
    my ($self, $group_id, $cb) = @_;
    $self->_admin(group_lag => $cb, sub { Kfk::FFI::kfk_admin_group_lag($self->_h, $group_id, undef, $_[1]) });
}

sub delete_groups {
    my ($self, $groups, $cb) = @_;
    $self->_admin(delete_groups => $cb, sub {
        Kfk::FFI::kfk_admin_delete_groups($self->_h, Kfk::FFI::str_array($_[0], $groups), scalar @$groups,
            undef, $_[1]);
    });
}

# list_share_groups(\@states, $cb): [] or undef lists them in every state.
sub list_share_groups {
    my ($self, $states, $cb) = @_;
    $states //= [];
    $self->_admin(list_share_groups => $cb, sub {
        Kfk::FFI::kfk_admin_list_share_groups($self->_h, Kfk::FFI::str_array($_[0], $states), scalar @$states,
            undef, $_[1]);
    });
}

sub describe_share_groups {
    my ($self, $groups, $cb) = @_;
    $self->_admin(describe_share_groups => $cb, sub {
        Kfk::FFI::kfk_admin_describe_share_groups($self->_h, Kfk::FFI::str_array($_[0], $groups),
            scalar @$groups, undef, $_[1]);
    });
}

sub share_group_offsets {
    my ($self, $group_id, $cb) = @_;
    $self->_admin(share_group_offsets => $cb, sub {
        Kfk::FFI::kfk_admin_share_group_offsets($self->_h, $group_id, undef, $_[1]);
    });
}

# alter_share_group_offsets($group_id, [{topic, partition, offset}], $cb)
sub alter_share_group_offsets {
    my ($self, $group_id, $offsets, $cb) = @_;
    $self->_admin(alter_share_group_offsets => $cb, sub {
        Kfk::FFI::kfk_admin_alter_share_group_offsets($self->_h, $group_id, Kfk::FFI::tp_array($_[0], $offsets),
            scalar @$offsets, undef, $_[1]);
    });
}

sub delete_share_group_offsets {
    my ($self, $group_id, $topics, $cb) = @_;
    $self->_admin(delete_share_group_offsets => $cb, sub {
        Kfk::FFI::kfk_admin_delete_share_group_offsets($self->_h, $group_id, Kfk::FFI::str_array($_[0], $topics),
            scalar @$topics, undef, $_[1]);
    });
}

# poll([$cb]): every fetched message goes to on_message($topic, $partition,
# $offset, $key, $value, $headers); $cb fires when the round is done.
sub poll {
    my ($self, $cb) = @_;
    my $queue = $self->{queue};
    my $tag = $queue->new_tag;
    my $rc = Kfk::FFI::kfk_consume($self->_h, undef, $tag);
    Carp::croak("poll: " . _err_text($rc)) if $rc;
    # MESSAGE events go from the queue to on_message directly (entry [3]),
    # moving the live assignment on (entry [4]); the handler sees the
    # RESULT that ends the round.
    $queue->register_tag($tag, \&_polled, EV::Kafka::Queue::ROUND, [$self, $tag, $cb], $self->{on_message},
        $self->{live});
    $self->{polls}{$tag} = $cb;
    return;
}

sub _polled {
    my ($type, $result, $errstr, undef, $call) = @_;
    my ($self, $tag, $cb) = @$call;
    if ($type == Kfk::FFI::EVENT_MESSAGE) {    # without on_message: only the position moves on
        my $assigned = $self->{live}{"$result->{partition} $result->{topic}"};
        $assigned->{offset} = $result->{offset} + 1 if $assigned;
        return;
    }
    $self->{queue}->forget($tag);
    delete $self->{polls}{$tag};
    return $self->_failed(poll => $cb, undef, $errstr) if $errstr;
    $cb->() if $cb;
}

# ---- consumer groups --------------------------------------------------------

my %GROUP_OPTION = (group_id => 'group_id', session_timeout => 'session_timeout_ms',
    rebalance_timeout => 'rebalance_timeout_ms', heartbeat_interval => 'heartbeat_interval_ms',
    auto_commit => 'auto_commit', auto_offset_reset => 'auto_offset_reset',
    group_instance_id => 'group_instance_id', assignor => 'assignor', on_assign => 1, on_revoke => 1,
    # kfk's additions: cooperative-sticky or a list, and KIP-848's protocol
    partition_assignment_strategy => 'assignor', group_protocol => 'group_protocol',
    group_remote_assignor => 'group_remote_assignor');

# subscribe(@topics, %opts): the topics come first, then option pairs.
sub subscribe {
    my ($self, @args) = @_;
    my @topics;
    push @topics, shift @args while @args && !exists $GROUP_OPTION{ $args[0] };
    my %opt = @args;
    Carp::croak("subscribe: at least one topic is required") unless @topics;
    Carp::croak("subscribe: group_id is required") unless defined $opt{group_id};
    # EV::Kafka starts a new group at the earliest offset (programs ask for
    # latest); libkfk's default is latest.
    $opt{auto_offset_reset} //= $self->{auto_offset_reset} // 'earliest';
    my @kv;
    for my $k (sort keys %opt) {
        next if $k eq 'on_assign' || $k eq 'on_revoke' || !defined $opt{$k};
        my $v = $opt{$k};
        $v *= 1000 if $k eq 'heartbeat_interval';    # documented in seconds
        push @kv, $GROUP_OPTION{$k}, $k eq 'auto_commit' ? ($v ? 1 : 0) : "$v";
    }
    my $queue = $self->{queue};
    $queue->forget($self->{group_tag}) if $self->{group_tag};
    $self->{group_tag} = $queue->register(sub {
        my ($type, $parts) = @_;
        if ($type == Kfk::FFI::EVENT_ASSIGN) {
            $opt{on_assign}->($parts) if $opt{on_assign};
        } elsif ($type == Kfk::FFI::EVENT_REVOKE || $type == Kfk::FFI::EVENT_LOST) {
            # EV::Kafka has on_revoke alone: lost partitions go there too
            $opt{on_revoke}->($parts) if $opt{on_revoke};
        }
    }, EV::Kafka::Queue::STANDING);
    my @keep;
    my $rc = Kfk::FFI::kfk_subscribe($self->_h, Kfk::FFI::str_array(\@keep, \@topics), scalar @topics,
        @kv ? Kfk::FFI::str_array(\@keep, \@kv) : undef, @kv / 2, undef, $self->{group_tag});
    Carp::croak("subscribe: " . Kfk::FFI::kfk_err_name($rc) . ": " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    $self->{subscribed} = 1;
    $self->_busy;
    $self->_fetch_loop;
    return;
}

# With a subscription, messages flow to on_message without poll calls:
# each round starts the next until unsubscribe.
sub _fetch_loop {
    my ($self) = @_;
    return if $self->{fetching};
    $self->{fetching} = 1;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    my $round;
    $round = sub {
        my (undef, $err) = @_;
        return unless $weak && $weak->{fetching} && $weak->{h};
        $weak->poll($round);
        $weak->_error("poll: $err") if $err;
    };
    $self->{fetch_round} = $round;
    $round->();
}

# commit([$cb]): $cb->($err), $err undef once committed. Without a group
# subscription there is nothing to commit: $cb->() with no error, as
# EV::Kafka does.
sub commit {
    my ($self, $cb) = @_;
    my $h = $self->_h;
    unless ($self->{subscribed}) {
        $self->{queue}->later($cb) if $cb;
        return;
    }
    $self->_call(commit => sub {
        my (undef, $err) = @_;
        $cb->($err) if $cb;
    }, sub { Kfk::FFI::kfk_commit($h, undef, $_[0]) });
}

sub unsubscribe {
    my ($self, $cb) = @_;
    $self->{fetching} = 0;
    delete $self->{fetch_round};
    $self->_call(unsubscribe => sub {
        my (undef, $err) = @_;
        $self->{subscribed} = 0;
        $self->_busy;
        $self->_error("unsubscribe: $err") if $err;
        $cb->() if $cb;
    }, sub { Kfk::FFI::kfk_unsubscribe($self->_h, undef, $_[0]) });
}

# ---- share groups (KIP-932; kfk's addition) --------------------------------

# share_subscribe's options: its own names, and kfk's (share_*) for each.
my %SHARE_OPTION = (group_id => 'group_id', acknowledgement_mode => 'share_acknowledgement_mode',
    share_acknowledgement_mode => 'share_acknowledgement_mode', acquire_mode => 'share_acquire_mode',
    share_acquire_mode => 'share_acquire_mode', on_record => 1);
my %SHARE_VALUES = (share_acknowledgement_mode => [qw(implicit explicit)],
    share_acquire_mode => [qw(batch_optimized record_limit)]);
my %ACK_TYPE = (accept => Kfk::FFI::ACK_ACCEPT, release => Kfk::FFI::ACK_RELEASE,
    reject => Kfk::FFI::ACK_REJECT);

# share_subscribe(@topics, group_id => $g, on_record => sub { my ($record) = @_ }, %opts):
# the topics come first, then option pairs, as with subscribe.
sub share_subscribe {
    my ($self, @args) = @_;
    my @topics;
    push @topics, shift @args while @args && !exists $SHARE_OPTION{ $args[0] };
    Carp::croak("share_subscribe: at least one topic is required") unless @topics;
    Carp::croak("share_subscribe: options come in pairs after the topics") if @args % 2;
    my %opt = @args;
    for my $k (sort keys %opt) {
        Carp::croak("share_subscribe: unknown option '$k'") unless $SHARE_OPTION{$k};
    }
    Carp::croak("share_subscribe: group_id is required") unless defined $opt{group_id} && length $opt{group_id};
    Carp::croak("share_subscribe: on_record must be a code reference") unless ref $opt{on_record} eq 'CODE';
    my @kv;
    for my $k (sort grep { $_ ne 'on_record' && defined $opt{$_} } keys %opt) {
        my $name = $SHARE_OPTION{$k};
        my $allowed = $SHARE_VALUES{$name};
        Carp::croak("share_subscribe: $k must be " . join(' or ', @$allowed) . ", not '$opt{$k}'")
            if $allowed && !grep { $_ eq $opt{$k} } @$allowed;
        push @kv, $name, "$opt{$k}";
    }
    my %mode = @kv;
    my @keep;
    my $rc = Kfk::FFI::kfk_share_subscribe($self->_h, Kfk::FFI::str_array(\@keep, \@topics), scalar @topics,
        @kv ? Kfk::FFI::str_array(\@keep, \@kv) : undef, @kv / 2);
    Carp::croak("share_subscribe: " . _err_text($rc)) if $rc;
    $self->{share} = { on_record => $opt{on_record},
        explicit => ($mode{share_acknowledgement_mode} // '') eq 'explicit' };
    $self->_busy;
    $self->_share_round unless $self->{share_polling};
    return;
}

# With a share subscription, records flow to on_record without poll calls:
# one kfk_share_consume round after another (each in implicit mode
# accepting what the one before handed over), until share_unsubscribe.
sub _share_round {
    my ($self) = @_;
    return unless $self->{share} && $self->{h};
    my $queue = $self->{queue};
    my $tag = $queue->new_tag;
    my $rc = Kfk::FFI::kfk_share_consume($self->_h, undef, $tag);
    return $self->_error("share group: " . _err_text($rc)) if $rc;
    $queue->register_tag($tag, \&_share_event, EV::Kafka::Queue::ROUND, [$self, $tag]);
    $self->{share_polling} = 1;
}

sub _share_event {
    my ($type, $result, $errstr, $err, $call) = @_;
    my ($self, $tag) = @$call;
    if ($type == Kfk::FFI::EVENT_MESSAGE) {
        # a round that ends after share_unsubscribe still hands over what
        # the member took before leaving
        my $share = $self->{share} || $self->{share_left};
        $share->{on_record}->($result) if $share;
        return;
    }
    $self->{queue}->forget($tag);
    $self->{share_polling} = 0;
    delete $self->{share_left};
    return unless $self->{share};    # unsubscribed or closed meanwhile: the round's error is moot
    $self->_share_round;
    $self->_error("share group: $errstr") if $errstr;
}

# share_acknowledge($record, $type) or ($topic, $partition, $offset,
# $type); $type is accept, release or reject.
sub share_acknowledge {
    my ($self, @args) = @_;
    my $type = pop @args;
    my ($topic, $partition, $offset) = @args == 1 && ref $args[0] eq 'HASH'
        ? @{ $args[0] }{qw(topic partition offset)} : @args == 3 ? @args
        : Carp::croak('share_acknowledge: expected ($record, $type) or ($topic, $partition, $offset, $type)');
    my $kind = $ACK_TYPE{ $type // '' }
        // Carp::croak("share_acknowledge: unknown acknowledgement type '" . ($type // 'undef')
            . "' (accept, release or reject)");
    Carp::croak("share_acknowledge: the record needs a topic, a partition and an offset")
        unless defined $topic && defined $partition && defined $offset;
    my $rc = Kfk::FFI::kfk_share_acknowledge($self->_h, $topic, $partition, $offset, $kind);
    return unless $rc;
    my $what = "share_acknowledge $topic [$partition] \@$offset";
    Carp::croak("$what: not subscribed to a share group") if $rc == Kfk::FFI::ERR_STATE && !$self->{share};
    Carp::croak("$what: the share subscription acknowledges implicitly (acknowledgement_mode => 'explicit' "
        . "to acknowledge records one by one)") if $rc == Kfk::FFI::ERR_STATE && !$self->{share}{explicit};
    Carp::croak("$what: the record was not handed over, or is acknowledged already")
        if $rc == Kfk::FFI::ERR_STATE;
    Carp::croak("$what: " . _err_text($rc));
}

# share_commit($cb): $cb->(\@results, $err), a result {topic, partition,
# error_code} per partition whose acknowledgements were sent.
sub share_commit {
    my ($self, $cb) = @_;
    $self->_call(share_commit => sub {
        my ($res, $err) = @_;
        $cb->($res, $err) if $cb;
    }, sub { Kfk::FFI::kfk_share_commit($self->_h, undef, $_[0]) });
}

sub share_unsubscribe {
    my ($self, $cb) = @_;
    $self->{share_left} = delete $self->{share};
    $self->_call(share_unsubscribe => sub {
        my (undef, $err) = @_;
        $self->_busy;
        $self->_error("share_unsubscribe: $err") if $err;
        $cb->() if $cb;
    }, sub { Kfk::FFI::kfk_share_unsubscribe($self->_h, undef, $_[0]) });
}

# ---- transactions (transactional_id) ---------------------------------------

sub begin_transaction {
    my ($self) = @_;
    my $rc = Kfk::FFI::kfk_txn_begin($self->_h);
    Carp::croak("begin_transaction: " . Kfk::FFI::kfk_err_name($rc) . ": " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    $self->_note_producer_id;
    return;
}

# Commits the consumed positions of this client's partitions to $group_id
# inside the transaction; $cb->($result, $err).
sub send_offsets_to_transaction {
    my ($self, $group_id, $cb) = @_;
    $self->_call(send_offsets_to_transaction => sub {
        my (undef, $err) = @_;
        $self->_note_producer_id;
        $cb->($err ? (undef, $err) : ({})) if $cb;
    }, sub { Kfk::FFI::kfk_txn_send_offsets($self->_h, $group_id, undef, 0, undef, $_[0]) });
}

sub commit_transaction { $_[0]->_end_txn(\&Kfk::FFI::kfk_txn_commit, $_[1]) }
sub abort_transaction  { $_[0]->_end_txn(\&Kfk::FFI::kfk_txn_abort,  $_[1]) }

sub _end_txn {
    my ($self, $fn, $cb) = @_;
    $self->_call(transaction => sub {
        my (undef, $err) = @_;
        $self->_note_producer_id;    # ending a transaction can bump the epoch
        $self->_error("transaction: $err") if $err && !$cb;
        $cb->($err ? (undef, $err) : ({})) if $cb;
    }, sub { $fn->($self->_h, undef, $_[0]) });
}

sub flush {
    my ($self, $cb) = @_;
    $self->_call(flush => sub { $cb->() if $cb }, sub { Kfk::FFI::kfk_flush($self->_h, 0, undef, $_[0]) });
}

sub close {
    my ($self, $cb) = @_;
    return $cb && $cb->() unless $self->{h};
    $self->{fetching} = 0;
    delete $self->{fetch_round};
    $self->{share_left} = delete $self->{share};
    $self->_call(close => sub {
        $self->_destroy;
        $cb->() if $cb;
    }, sub { Kfk::FFI::kfk_client_close($self->_h, 30000, undef, $_[0]) });
}

sub _destroy {
    my ($self) = @_;
    return unless $self->{h} && $self->{pid} == $$;
    $self->_drop_bootstrap;
    my $h = $self->{h};
    Kfk::FFI::kfk_client_destroy($h);
    $self->{h} = undef;
    my $queue = $self->{queue} or return;
    delete $queue->{sources}{$h};
    $queue->forget($self->{event_tag});
    $self->_busy;
    # Polls under way end with the client, empty, as the XS module's
    # fetches do with its connections (their RESULTs would come only when
    # the library's wait for messages runs out).
    my $polls = delete $self->{polls} // {};
    for my $tag (sort { $a <=> $b } keys %$polls) {
        $queue->forget($tag);
        $polls->{$tag}->() if $polls->{$tag};
    }
}

sub DESTROY { $_[0]->_destroy }

# error_name works as a method and as a function.
sub error_name {
    my $code = pop;
    return EV::Kafka::_error_name($code);
}

1;
