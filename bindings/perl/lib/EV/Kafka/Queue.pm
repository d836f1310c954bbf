package EV::Kafka::Queue;

# The event queue shared by every EV::Kafka object of a process: one
# kfk_queue_t, one EV::io watcher on its descriptor. When the descriptor is
# readable, events are pulled in batches (kfk_poll_batch) and dispatched to
# Perl closures by tag, on the EV loop's thread; libkfk never calls into
# Perl from its own threads.

use strict;
use warnings;
use Carp ();
use Scalar::Util ();
use EV;
use FFI::Platypus::Buffer qw(buffer_to_scalar scalar_to_buffer);
use Kfk::FFI;

our $VERSION = '0.2.0';

my %queues;    # loop address => queue, for this process

sub shared {
    my ($class, $loop) = @_;
    $loop ||= EV::default_loop;
    Kfk::FFI::check_pid();
    return $queues{ 0 + $loop } ||= $class->_new($loop);
}

sub _new {
    my ($class, $loop) = @_;
    Kfk::FFI::load();
    my $q;
    my $rc = Kfk::FFI::kfk_queue_new(\$q);
    Carp::croak("kfk_queue_new: " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    my $self = bless {
        handle   => $q,
        loop     => $loop,
        pid      => $$,
        handlers => {},
        next_tag => 1,
        events   => "\0" x (Kfk::FFI::EVENT_SIZE * Kfk::FFI::BATCH),
    }, $class;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    $self->{watcher} = $loop->io(Kfk::FFI::kfk_queue_fd($q), EV::READ, sub { $weak->drain if $weak });
    return $self;
}

sub handle { $_[0]{handle} }

# Registers a handler for one event (or all events of a tag when
# $persistent) and returns the tag to pass as the call's opaque. The
# handler gets ($type, $result, $errstr, $err, $data). Passing per-call
# state as $data to a named handler, rather than a new closure per call,
# matters on hot paths: Perl frees each anonymous sub by searching its
# package's list of back-references, which grows with every closure alive.
sub register {
    my ($self, $handler, $persistent, $data) = @_;
    return $self->register_tag($self->new_tag, $handler, $persistent, $data);
}

# A tag for a call whose handler is registered (register_tag) only once
# the call was accepted: events are dispatched from the loop, never during
# a call, so none can come before.
sub new_tag { return $_[0]{next_tag}++ }

sub register_tag {
    my ($self, $tag, $handler, $persistent, $data) = @_;
    $self->{handlers}{$tag} = [$handler, $persistent, $data];
    return $tag;
}

# Runs $cb->(@args) soon from the loop: for an outcome known at once that
# must not reach a callback inside the call that caused it.
sub later {
    my ($self, $cb, @args) = @_;
    my $w;
    $w = $self->{loop}->timer(0, 0, sub { undef $w; $cb->(@args) });
    return;
}

# Registers a one-shot request whose callback gets ($result) on success
# and (undef, $error_string) on failure.
sub register_request {
    my ($self, $cb) = @_;
    return $self->register(\&_request_done, 0, $cb);
}

sub _request_done {
    my (undef, $result, $errstr, undef, $cb) = @_;
    $cb->($errstr ? (undef, $errstr) : ($result)) if $cb;
}

sub forget { delete $_[0]{handlers}{ $_[1] } }

# Dispatches every waiting event without blocking.
sub drain {
    my ($self, $timeout_ms) = @_;
    return if $self->{pid} != $$;
    my ($buf) = scalar_to_buffer($self->{events});
    my $total = 0;
    while (1) {
        my $n = Kfk::FFI::kfk_poll_batch($self->{handle}, $buf, Kfk::FFI::BATCH, $timeout_ms // 0);
        last if $n <= 0;
        $total += $n;
        my $all = buffer_to_scalar($buf, $n * Kfk::FFI::EVENT_SIZE);
        for my $i (0 .. $n - 1) {
            my ($type, $err, $errstr_p, $tag, undef, $result_p, $msg_p) =
                unpack(Kfk::FFI::EVENT_PACK, substr($all, $i * Kfk::FFI::EVENT_SIZE, Kfk::FFI::EVENT_SIZE));
            my $entry = $self->{handlers}{$tag} or next;
            delete $self->{handlers}{$tag} unless $entry->[1];
            my $errstr = $err ? Kfk::FFI::cstring($errstr_p) : undef;
            my $result = $result_p ? Kfk::FFI::val_at($result_p)
                       : $msg_p    ? Kfk::FFI::message_at($msg_p) : undef;
            $entry->[0]->($type, $result, $errstr, $err, $entry->[2]);
        }
        last if $n < Kfk::FFI::BATCH;
        $timeout_ms = 0;
    }
    return $total;
}

1;
