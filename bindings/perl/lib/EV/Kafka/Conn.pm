package EV::Kafka::Conn;

# One broker connection, as documented for EV::Kafka::Conn: every request
# takes a callback called as $cb->($result, $error) from the EV loop.

use strict;
use warnings;
use Carp ();
use EV;
use Kfk::FFI;
use EV::Kafka::Queue;

our $VERSION = '0.4.0';

# EV::Kafka::Conn::_new('EV::Kafka::Conn', $loop) is the documented
# constructor; $loop may be undef (EV::default_loop).
sub _new {
    my ($class, $loop) = @_;
    my $queue = EV::Kafka::Queue->shared($loop);
    my $h;
    my $rc = Kfk::FFI::kfk_conn_new($queue->handle, \$h);
    Carp::croak("kfk_conn_new: " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    my $self = bless { h => $h, queue => $queue, pid => $$, cb => {} }, ref $class || $class;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    $self->{event_tag} = $queue->register(sub { $weak->_conn_event(@_) if $weak }, EV::Kafka::Queue::STANDING);
    Kfk::FFI::kfk_conn_set_event_handler($h, undef, $self->{event_tag});
    return $self;
}

sub new {
    my ($class, %opts) = @_;
    return $class->_new($opts{loop});
}

sub _h {
    my ($self) = @_;
    Carp::croak("EV::Kafka::Conn: this connection belongs to the parent process; libkfk cannot be used after fork()")
        if $self->{pid} != $$;
    Carp::croak("EV::Kafka::Conn: the connection is closed") unless $self->{h};
    return $self->{h};
}

# The loop stays alive while the connection is wanted (connect, until
# disconnect) and is up, being made, or to be made again (auto_reconnect),
# as the XS module's socket and reconnect timer keep it.
sub _busy {
    my ($self) = @_;
    my $h = $self->{h};
    $self->{queue}->busy(Scalar::Util::refaddr($self), $h && $self->{wanted}
        && ($self->{reconnect} || Kfk::FFI::kfk_conn_state($h) != Kfk::FFI::CONN_DISCONNECTED));
}

sub _conn_event {
    my ($self, $type, undef, $errstr) = @_;
    $self->_busy;    # first: a callback may connect again
    if ($type == Kfk::FFI::EVENT_CONNECT) {
        $self->{cb}{connect}->() if $self->{cb}{connect};
    } elsif ($type == Kfk::FFI::EVENT_ERROR) {
        Carp::croak("kafka: $errstr") unless $self->{cb}{error};
        $self->{cb}{error}->($errstr);
    } elsif ($type == Kfk::FFI::EVENT_DISCONNECT) {
        $self->{cb}{disconnect}->($errstr) if $self->{cb}{disconnect};
    }
}

for my $name (qw(error connect disconnect)) {
    no strict 'refs';
    *{"on_$name"} = sub {
        my ($self, $cb) = @_;
        $self->{cb}{$name} = $cb;
        return;
    };
}

# ---- connection ----------------------------------------------------------

sub connect {
    my ($self, $host, $port, $timeout) = @_;
    Carp::croak("connect: host and port are required") unless defined $host && $port;
    my $rc = Kfk::FFI::kfk_conn_connect($self->_h, $host, $port, int(($timeout // 0) * 1000));
    Carp::croak("connect: " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    $self->{wanted} = 1;
    $self->_busy;
    return;
}

sub disconnect {
    my ($self) = @_;
    Kfk::FFI::kfk_conn_disconnect($self->_h);
    $self->{wanted} = 0;
    $self->_busy;
    return;
}
sub connected { Kfk::FFI::kfk_conn_connected($_[0]->_h) == 1 ? 1 : 0 }
sub state { Kfk::FFI::kfk_conn_state($_[0]->_h) }
# Requests whose callback has not run yet: the library may have read a
# response already, but for the program it is still to come.
sub pending {
    my ($self) = @_;
    $self->_h;    # croaks for a destroyed connection, as before
    return $self->{awaiting} // 0;
}

sub api_versions {
    my ($self) = @_;
    my $buf = "\0" x 256;
    my ($p) = FFI::Platypus::Buffer::scalar_to_buffer($buf);
    my $n = Kfk::FFI::kfk_conn_api_versions($self->_h, $p, 128);
    return undef if $n < 0;
    my @v = unpack('s128', FFI::Platypus::Buffer::buffer_to_scalar($p, 256));
    return { map { $v[$_] >= 0 ? ($_ => $v[$_]) : () } 0 .. $#v };
}

sub client_id {
    my ($self, $id) = @_;
    _check(Kfk::FFI::kfk_conn_set_client_id($self->_h, $id), 'client_id');
}

sub tls {
    my ($self, $enable, $ca_file, $skip_verify) = @_;
    _check(Kfk::FFI::kfk_conn_set_tls($self->_h, $enable ? 1 : 0, $ca_file, $skip_verify ? 1 : 0, undef), 'tls');
}

sub sasl {
    my ($self, $mechanism, $username, $password) = @_;
    _check(Kfk::FFI::kfk_conn_set_sasl($self->_h, $mechanism, $username, $password), 'sasl');
}

# kfk's addition, after sasl('GSSAPI', $principal, $password): the
# brokers' Kerberos service (undef: kafka), a keytab to log in with and
# the krb5.conf to read. Croaks (ERR_STATE) before sasl('GSSAPI', ...).
sub kerberos {
    my ($self, $service_name, $keytab, $krb5_config) = @_;
    _check(Kfk::FFI::kfk_conn_set_kerberos($self->_h, $service_name, $keytab, $krb5_config), 'kerberos');
}

sub auto_reconnect {
    my ($self, $enable, $delay_ms) = @_;
    _check(Kfk::FFI::kfk_conn_set_auto_reconnect($self->_h, $enable ? 1 : 0, $delay_ms // 1000), 'auto_reconnect');
    $self->{reconnect} = $enable;
    return;
}

sub _check {
    my ($rc, $what) = @_;
    Carp::croak("$what: " . Kfk::FFI::kfk_err_name($rc) . ": " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    return;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{h} && $self->{pid} == $$;
    Kfk::FFI::kfk_conn_destroy($self->{h});
    $self->{h} = undef;
    if ($self->{queue}) {
        $self->{queue}->forget($self->{event_tag});
        $self->_busy;
    }
}

# ---- requests --------------------------------------------------------------

# Sends one request: $send->($h, $tag) calls the C function with the tag as
# its opaque; the callback gets ($result, $error_string). As EV::Kafka's
# requests do, it croaks "not connected" at once unless the connection is
# ready (the library would queue the request until it is).
sub _request {
    my ($self, $what, $cb, $send) = @_;
    my $h = $self->_h;
    Carp::croak("not connected") unless Kfk::FFI::kfk_conn_connected($h) == 1;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    my $tag = $self->{queue}->register_request(sub {
        $weak->{awaiting}-- if $weak;
        $cb->(@_) if $cb;
    });
    my $rc = $send->($h, $tag);
    if ($rc) {
        $self->{queue}->forget($tag);
        _check($rc, $what);
    }
    $self->{awaiting}++;
    return;
}

# Splits optional trailing (\%opts, $cb) arguments.
sub _opts_cb {
    my @rest = @_;
    my $cb = ref $rest[-1] eq 'CODE' ? pop @rest : undef;
    my $opts = ref $rest[0] eq 'HASH' ? $rest[0] : {};
    return ($opts, $cb);
}

sub metadata {
    my ($self, $topics, $cb) = @_;
    my @keep;
    $self->_request(metadata => $cb, sub {
        my ($h, $tag) = @_;
        return Kfk::FFI::kfk_conn_metadata($h, undef, -1, undef, $tag) unless $topics;
        Kfk::FFI::kfk_conn_metadata($h, Kfk::FFI::str_array(\@keep, $topics), scalar @$topics, undef, $tag);
    });
}

sub produce {
    my ($self, $topic, $partition, $key, $value, @rest) = @_;
    my ($opts, $cb) = _opts_cb(@rest);
    $self->produce_batch($topic, $partition,
        [{ key => $key, value => $value, headers => $opts->{headers}, timestamp => $opts->{timestamp} }],
        $opts, $cb);
}

my %COMPRESSION = map { $_ => 1 } qw(none gzip snappy lz4 zstd);

sub produce_batch {
    my ($self, $topic, $partition, $records, @rest) = @_;
    my ($opts, $cb) = _opts_cb(@rest);
    Carp::croak("produce_batch: records must be a non-empty array reference")
        unless ref $records eq 'ARRAY' && @$records;
    my $compression = $opts->{compression};
    Carp::croak("unknown compression '$compression' (none, gzip, snappy, lz4, zstd)")
        if defined $compression && !$COMPRESSION{$compression};
    my @keep;
    $self->_request(produce => $cb, sub {
        my ($h, $tag) = @_;
        Kfk::FFI::kfk_conn_produce_batch($h, $topic, $partition, Kfk::FFI::records(\@keep, $records),
            scalar @$records, Kfk::FFI::produce_opts(\@keep, $opts), undef, $tag);
    });
}

sub fetch {
    my ($self, $topic, $partition, $offset, @rest) = @_;
    my ($opts, $cb) = _opts_cb(@rest);
    $self->fetch_multi({ $topic => [{ partition => $partition, offset => $offset }] }, $opts, $cb);
}

sub fetch_multi {
    my ($self, $topics, @rest) = @_;
    my ($opts, $cb) = _opts_cb(@rest);
    my @tps = map { my $t = $_; map { { %$_, topic => $t } } @{ $topics->{$t} } } sort keys %$topics;
    Carp::croak("fetch_multi: no partitions given") unless @tps;
    my @keep;
    $self->_request(fetch => $cb, sub {
        my ($h, $tag) = @_;
        Kfk::FFI::kfk_conn_fetch($h, Kfk::FFI::tp_array(\@keep, \@tps), scalar @tps,
            Kfk::FFI::fetch_opts(\@keep, $opts), undef, $tag);
    });
}

sub list_offsets {
    my ($self, $topic, $partition, $timestamp, $cb) = @_;
    $self->_request(list_offsets => $cb, sub {
        Kfk::FFI::kfk_conn_list_offsets($_[0], $topic, $partition, $timestamp, undef, $_[1]);
    });
}

sub find_coordinator {
    my ($self, $key, $cb, $key_type) = @_;
    $self->_request(find_coordinator => $cb, sub {
        Kfk::FFI::kfk_conn_find_coordinator($_[0], $key, $key_type // 0, undef, $_[1]);
    });
}

sub join_group {
    my ($self, $group, $member, $topics, $cb, $session_ms, $rebalance_ms, $instance) = @_;
    my @keep;
    $self->_request(join_group => $cb, sub {
        Kfk::FFI::kfk_conn_join_group($_[0], $group, $member // '', Kfk::FFI::str_array(\@keep, $topics),
            scalar @$topics, $session_ms // 30000, $rebalance_ms // 60000, $instance, undef, $_[1]);
    });
}

# Assignments: EV::Kafka's [{member_id => $id, assignment => $bytes}],
# $bytes a consumer protocol assignment as the group leader encodes it, or
# [{member_id => $id, topics => [{topic => $t, partitions => [...]}]}]
# ("assignment" is accepted for "topics"). The result's assignment is this
# member's as such bytes (version 0, no user data), '' with an error, as
# the broker sends none then.
sub sync_group {
    my ($self, $group, $generation, $member, $assignments, $cb, $instance) = @_;
    my @plan = map {
        defined $_->{assignment} && !ref $_->{assignment}
            ? { member_id => $_->{member_id}, topics => _assignment_topics($_->{assignment}) } : $_
    } @{ $assignments // [] };
    my @keep;
    $self->_request(sync_group => $cb && sub {
        my ($res, $err) = @_;
        $res->{assignment} = $res->{error_code} ? '' : _assignment_bytes($res->{assignment}) if $res;
        $cb->($res, $err);
    }, sub {
        Kfk::FFI::kfk_conn_sync_group($_[0], $group, $generation, $member,
            Kfk::FFI::member_assignments(\@keep, \@plan), scalar @plan, $instance, undef, $_[1]);
    });
}

# The topics of a consumer protocol assignment (int16 version, then
# [string topic, [int32 partition]], then user data) as [{topic,
# partitions}]; croaks when $bytes is not one.
sub _assignment_topics {
    my ($bytes) = @_;
    my $bad = sub { Carp::croak("sync_group: an assignment is not a consumer protocol assignment") };
    my $at = 6;
    my $n = length $bytes >= $at ? unpack('x2 N', $bytes) : $bad->();
    my @topics;
    for (1 .. $n) {
        $bad->() if length $bytes < $at + 2;
        my $end = $at + 2 + unpack("x$at n", $bytes) + 4;    # after the name and the partition count
        $bad->() if length $bytes < $end;
        my ($topic, $count) = unpack("x$at n/a N", $bytes);
        $bad->() if length $bytes < $end + 4 * $count;
        push @topics, { topic => $topic, partitions => [unpack("x$end l>$count", $bytes)] };
        $at = $end + 4 * $count;
    }
    return \@topics;
}

# [{topic, partitions}] as a consumer protocol assignment: version 0, null
# user data.
sub _assignment_bytes {
    my ($topics) = @_;
    my $body = join '',
        map { pack('n/a* N l>*', $_->{topic}, scalar @{ $_->{partitions} }, @{ $_->{partitions} }) } @$topics;
    return pack('n N', 0, scalar @$topics) . $body . pack('l>', -1);
}

sub heartbeat {
    my ($self, $group, $generation, $member, $cb, $instance) = @_;
    $self->_request(heartbeat => $cb, sub {
        Kfk::FFI::kfk_conn_heartbeat($_[0], $group, $generation, $member, $instance, undef, $_[1]);
    });
}

sub leave_group {
    my ($self, $group, $member, $cb, $instance) = @_;
    $self->_request(leave_group => $cb, sub {
        Kfk::FFI::kfk_conn_leave_group($_[0], $group, $member, $instance, undef, $_[1]);
    });
}

# Offsets: [{topic, partition, offset, metadata}] or
# [{topic, partitions => [{partition, offset, metadata}]}].
sub _flat_offsets {
    my ($list) = @_;
    return [map {
        my $t = $_;
        $t->{partitions}
            ? map { ref $_ ? { %$_, topic => $t->{topic} } : { topic => $t->{topic}, partition => $_ } } @{ $t->{partitions} }
            : ($t)
    } @{ $list // [] }];
}

sub offset_commit {
    my ($self, $group, $generation, $member, $offsets, $cb) = @_;
    my $tps = _flat_offsets($offsets);
    my @keep;
    $self->_request(offset_commit => $cb, sub {
        Kfk::FFI::kfk_conn_offset_commit($_[0], $group, $generation, $member, Kfk::FFI::tp_array(\@keep, $tps),
            scalar @$tps, undef, $_[1]);
    });
}

# Topics: names, or EV::Kafka's [{topic, partitions => [...]}]. A topic
# given with its partitions gets each of them back, in that order, as the
# broker answers for partitions asked for: offset -1 when the group
# committed none.
sub offset_fetch {
    my ($self, $group, $topics, $cb) = @_;
    my @names = map { ref $_ ? $_->{topic} : $_ } @{ $topics // [] };
    my %asked = map { ref $_ && $_->{partitions} ? ($_->{topic} => $_->{partitions}) : () } @{ $topics // [] };
    my @keep;
    $self->_request(offset_fetch => %asked && $cb ? sub {
        my ($res, $err) = @_;
        _every_partition($res, \@names, \%asked) if $res;
        $cb->($res, $err);
    } : $cb, sub {
        Kfk::FFI::kfk_conn_offset_fetch($_[0], $group, Kfk::FFI::str_array(\@keep, \@names), scalar @names,
            undef, $_[1]);
    });
}

# Lists the topics of an offset_fetch result in the order asked, those in
# %$asked with exactly the partitions asked for.
sub _every_partition {
    my ($res, $names, $asked) = @_;
    my %got = map { $_->{topic} => $_ } @{ $res->{topics} };
    $res->{topics} = [map {
        my $topic = $_;
        my $parts = $asked->{$topic};
        my %committed = map { $_->{partition} => $_ } @{ $got{$topic} ? $got{$topic}{partitions} : [] };
        !$parts ? $got{$topic} // () : { topic => $topic, partitions => [map {
            my $p = ref $_ ? $_->{partition} : $_;
            $committed{$p} // { partition => $p, offset => -1, leader_epoch => -1, metadata => '',
                error_code => $res->{error_code} }
        } @$parts] }
    } @$names];
}

sub create_topics {
    my ($self, $topics, $timeout_ms, $cb) = @_;
    my @keep;
    my $arr = Kfk::FFI::new_topics(\@keep, $topics);
    $self->_request(create_topics => $cb, sub {
        Kfk::FFI::kfk_conn_create_topics($_[0], $arr, scalar @$topics, $timeout_ms // 30000, undef, $_[1]);
    });
}

sub delete_topics {
    my ($self, $names, $timeout_ms, $cb) = @_;
    my @keep;
    $self->_request(delete_topics => $cb, sub {
        Kfk::FFI::kfk_conn_delete_topics($_[0], Kfk::FFI::str_array(\@keep, $names), scalar @$names,
            $timeout_ms // 30000, undef, $_[1]);
    });
}

sub init_producer_id {
    my ($self, $txn_id, $timeout_ms, $cb) = @_;
    $self->_request(init_producer_id => $cb, sub {
        Kfk::FFI::kfk_conn_init_producer_id($_[0], $txn_id, $timeout_ms // 60000, undef, $_[1]);
    });
}

sub add_partitions_to_txn {
    my ($self, $txn_id, $pid, $epoch, $topics, $cb) = @_;
    my $tps = _flat_offsets($topics);
    my @keep;
    $self->_request(add_partitions_to_txn => $cb, sub {
        Kfk::FFI::kfk_conn_add_partitions_to_txn($_[0], $txn_id, $pid, $epoch, Kfk::FFI::tp_array(\@keep, $tps),
            scalar @$tps, undef, $_[1]);
    });
}

sub add_offsets_to_txn {
    my ($self, $txn_id, $pid, $epoch, $group, $cb) = @_;
    $self->_request(add_offsets_to_txn => $cb, sub {
        Kfk::FFI::kfk_conn_add_offsets_to_txn($_[0], $txn_id, $pid, $epoch, $group, undef, $_[1]);
    });
}

sub end_txn {
    my ($self, $txn_id, $pid, $epoch, $committed, $cb) = @_;
    $self->_request(end_txn => $cb, sub {
        Kfk::FFI::kfk_conn_end_txn($_[0], $txn_id, $pid, $epoch, $committed ? 1 : 0, undef, $_[1]);
    });
}

sub txn_offset_commit {
    my ($self, $txn_id, $group, $pid, $epoch, $generation, $member, $offsets, $cb) = @_;
    my $tps = _flat_offsets($offsets);
    my @keep;
    $self->_request(txn_offset_commit => $cb, sub {
        Kfk::FFI::kfk_conn_txn_offset_commit($_[0], $txn_id, $group, $pid, $epoch, $generation // -1, $member,
            Kfk::FFI::tp_array(\@keep, $tps), scalar @$tps, undef, $_[1]);
    });
}

1;
