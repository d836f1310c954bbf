# frozen_string_literal: true

require "ffi"
require "io/wait"

module Kfk
  # Raw declarations mirroring include/kfk.h. The library is attached on
  # first use (Kfk::FFI.load!), never at require time, because a Go runtime
  # does not survive fork(): a forking server may require kfk and fork first.
  module FFI
    extend ::FFI::Library

    # The header's KFK_* constants without the prefix; test/abi_test.rb
    # checks every one against what the C compiler sees.
    VAL_NULL = 0
    VAL_INT = 1
    VAL_STR = 2
    VAL_LIST = 3
    VAL_MAP = 4
    VAL_BOOL = 5
    VAL_BYTES = 6

    EVENT_NONE = 0
    EVENT_RESULT = 1
    EVENT_CONNECT = 2
    EVENT_ERROR = 3
    EVENT_DISCONNECT = 4
    EVENT_DELIVERY = 5
    EVENT_MESSAGE = 6
    EVENT_ASSIGN = 7
    EVENT_REVOKE = 8
    EVENT_LOG = 9
    EVENT_STATS = 10
    EVENT_LOST = 11
    EVENT_OAUTHBEARER_TOKEN_REFRESH = 12

    OK = 0
    ERR_INVALID_ARG = -101
    ERR_INVALID_HANDLE = -102
    ERR_FORKED = -103
    ERR_REENTRANT = -104
    ERR_TIMED_OUT = -105
    ERR_DISCONNECTED = -106
    ERR_NOT_CONNECTED = -107
    ERR_CONNECT = -108
    ERR_TLS = -109
    ERR_SASL = -110
    ERR_PROTOCOL = -111
    ERR_UNSUPPORTED = -112
    ERR_CONFIG = -113
    ERR_CLOSED = -114
    ERR_INTERNAL = -115
    ERR_QUEUE_FULL = -116
    ERR_STATE = -117
    ERR_NO_BUFFER_SPACE = -118
    ERR_PURGED_QUEUE = -119
    ERR_PURGED_INFLIGHT = -120

    NULL_LENGTH = -1

    OFFSET_LATEST = -1
    OFFSET_EARLIEST = -2

    TIMESTAMP_NOT_AVAILABLE = 0
    TIMESTAMP_CREATE_TIME = 1
    TIMESTAMP_LOG_APPEND_TIME = 2

    PURGE_QUEUE = 1
    PURGE_INFLIGHT = 2
    ACK_ACCEPT = 1
    ACK_RELEASE = 2
    ACK_REJECT = 3

    LOG_ERROR = 3
    LOG_WARN = 4
    LOG_INFO = 6
    LOG_DEBUG = 7

    CONN_DISCONNECTED = 0
    CONN_RESOLVING = 1
    CONN_CONNECTING = 2
    CONN_TLS = 3
    CONN_HANDSHAKE = 4
    CONN_AUTH = 5
    CONN_READY = 6

    # Kafka's own error codes the binding raises itself, named as
    # kfk_err_name names them (the ABI test checks that too).
    UNKNOWN_TOPIC_OR_PARTITION = 3

    class Val < ::FFI::Struct
      layout :type, :int32, :reserved, :int32, :i, :int64, :s, :pointer, :n, :size_t, :items, :pointer
    end

    class Event < ::FFI::Struct
      layout :type, :int32, :err, :int32, :errstr, :pointer, :opaque, :uintptr_t, :source, :pointer,
             :result, :pointer, :msg, :pointer
    end

    class Header < ::FFI::Struct
      layout :key, :pointer, :key_len, :size_t, :value, :pointer, :value_len, :size_t
    end

    class Record < ::FFI::Struct
      layout :key, :pointer, :key_len, :size_t, :value, :pointer, :value_len, :size_t,
             :headers, :pointer, :header_count, :size_t, :timestamp, :int64
    end

    class TopicPartition < ::FFI::Struct
      layout :topic, :pointer, :partition, :int32, :leader_epoch, :int32, :offset, :int64, :metadata, :pointer
    end

    class ProduceOpts < ::FFI::Struct
      layout :acks, :int32, :timeout_ms, :int32, :compression, :pointer, :producer_id, :int64,
             :producer_epoch, :int16, :reserved, :int16, :base_sequence, :int32, :transactional_id, :pointer
    end

    class Message < ::FFI::Struct
      layout :topic, :pointer, :partition, :int32, :err, :int32, :offset, :int64, :timestamp, :int64,
             :key, :pointer, :key_len, :size_t, :value, :pointer, :value_len, :size_t,
             :headers, :pointer, :header_count, :size_t, :opaque, :uintptr_t,
             :timestamp_type, :int32, :reserved, :int32
    end

    class FetchOpts < ::FFI::Struct
      layout :max_bytes, :int32, :max_wait_ms, :int32, :min_bytes, :int32, :isolation_level, :int32
    end

    class MemberAssignment < ::FFI::Struct
      layout :member_id, :pointer, :partitions, :pointer, :n, :size_t
    end

    class ScramCredential < ::FFI::Struct
      layout :user, :pointer, :mechanism, :int32, :iterations, :int32, :password, :pointer, :password_len, :size_t,
             :salt, :pointer, :salt_len, :size_t
    end

    class NewTopic < ::FFI::Struct
      layout :name, :pointer, :num_partitions, :int32, :replication_factor, :int16, :reserved, :int16,
             :config, :pointer, :config_n, :size_t
    end

    FUNCTIONS = {
      kfk_version_str: [[], :string],
      kfk_err_name: [[:int32], :string],
      kfk_err_string: [[:int32], :string],
      kfk_murmur2: [%i[pointer size_t], :int32],
      kfk_crc32c: [%i[pointer size_t], :uint32],
      kfk_queue_new: [[:pointer], :int32],
      kfk_queue_destroy: [[:pointer], :int32],
      kfk_queue_fd: [[:pointer], :int],
      kfk_poll_batch: [%i[pointer pointer int int], :int, { blocking: true }],
      kfk_wake: [[:pointer], :int32],
      kfk_conn_new: [%i[pointer pointer], :int32],
      kfk_conn_destroy: [[:pointer], :int32],
      kfk_conn_set_event_handler: [%i[pointer pointer uintptr_t], :int32],
      kfk_conn_set_client_id: [%i[pointer string], :int32],
      kfk_conn_set_tls: [%i[pointer int string int string], :int32],
      kfk_conn_set_sasl: [%i[pointer string string string], :int32],
      kfk_conn_set_kerberos: [%i[pointer string string string], :int32],
      kfk_conn_connect: [%i[pointer string int int], :int32],
      kfk_conn_disconnect: [[:pointer], :int32],
      kfk_conn_connected: [[:pointer], :int],
      kfk_conn_state: [[:pointer], :int],
      kfk_conn_pending: [[:pointer], :int64],
      kfk_conn_metadata: [%i[pointer pointer int pointer uintptr_t], :int32],
      kfk_conn_produce_batch: [%i[pointer string int32 pointer size_t pointer pointer uintptr_t], :int32],
      kfk_conn_fetch: [%i[pointer pointer size_t pointer pointer uintptr_t], :int32],
      kfk_conn_list_offsets: [%i[pointer string int32 int64 pointer uintptr_t], :int32],
      kfk_conn_find_coordinator: [%i[pointer string int pointer uintptr_t], :int32],
      kfk_conn_create_topics: [%i[pointer pointer size_t int pointer uintptr_t], :int32],
      kfk_conn_delete_topics: [%i[pointer pointer size_t int pointer uintptr_t], :int32],
      kfk_conn_init_producer_id: [%i[pointer string int pointer uintptr_t], :int32],
      kfk_conn_join_group: [%i[pointer string string pointer size_t int int string pointer uintptr_t], :int32],
      kfk_conn_sync_group: [%i[pointer string int32 string pointer size_t string pointer uintptr_t], :int32],
      kfk_conn_heartbeat: [%i[pointer string int32 string string pointer uintptr_t], :int32],
      kfk_conn_leave_group: [%i[pointer string string string pointer uintptr_t], :int32],
      kfk_conn_offset_commit: [%i[pointer string int32 string pointer size_t pointer uintptr_t], :int32],
      kfk_conn_offset_fetch: [%i[pointer string pointer size_t pointer uintptr_t], :int32],
      kfk_conn_add_partitions_to_txn: [%i[pointer string int64 int16 pointer size_t pointer uintptr_t], :int32],
      kfk_conn_add_offsets_to_txn: [%i[pointer string int64 int16 string pointer uintptr_t], :int32],
      kfk_conn_end_txn: [%i[pointer string int64 int16 int pointer uintptr_t], :int32],
      kfk_conn_txn_offset_commit: [%i[pointer string string int64 int16 int32 string pointer size_t pointer uintptr_t],
                                   :int32],
      kfk_conf_new: [[:pointer], :int32],
      kfk_conf_set: [%i[pointer string string pointer size_t], :int32],
      kfk_conf_destroy: [[:pointer], :int32],
      kfk_client_new: [%i[pointer pointer pointer pointer size_t], :int32],
      kfk_client_set_event_handler: [%i[pointer pointer uintptr_t], :int32],
      kfk_client_connect: [%i[pointer pointer uintptr_t], :int32],
      kfk_client_metadata: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_client_partition_count: [%i[pointer string], :int32],
      kfk_produce: [%i[pointer pointer pointer], :int32],
      kfk_produce_many: [%i[pointer pointer size_t pointer uintptr_t pointer], :int32],
      kfk_produce_values: [%i[pointer pointer int32 pointer pointer pointer pointer size_t pointer size_t pointer uintptr_t
                              pointer], :int32],
      kfk_oauthbearer_set_token: [%i[pointer string int64 string pointer size_t pointer size_t], :int32],
      kfk_oauthbearer_set_token_failure: [%i[pointer string], :int32],
      kfk_flush: [%i[pointer int pointer uintptr_t], :int32],
      kfk_client_close: [%i[pointer int pointer uintptr_t], :int32],
      kfk_client_destroy: [[:pointer], :int32],
      kfk_assign: [%i[pointer pointer size_t], :int32],
      kfk_consume: [%i[pointer pointer uintptr_t], :int32],
      kfk_seek: [%i[pointer string int32 int64 pointer uintptr_t], :int32],
      kfk_pause: [%i[pointer pointer size_t], :int32],
      kfk_resume: [%i[pointer pointer size_t], :int32],
      kfk_offsets_for: [%i[pointer string pointer uintptr_t], :int32],
      kfk_lag: [%i[pointer pointer uintptr_t], :int32],
      kfk_admin_create_topics: [%i[pointer pointer size_t int pointer uintptr_t], :int32],
      kfk_admin_delete_topics: [%i[pointer pointer size_t int pointer uintptr_t], :int32],
      kfk_admin_describe_cluster: [%i[pointer pointer uintptr_t], :int32],
      kfk_admin_list_groups: [%i[pointer pointer uintptr_t], :int32],
      kfk_admin_describe_groups: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_admin_describe_topic_configs: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_admin_alter_topic_configs: [%i[pointer string pointer size_t pointer uintptr_t], :int32],
      kfk_admin_create_partitions: [%i[pointer string int32 int pointer uintptr_t], :int32],
      kfk_admin_delete_records: [%i[pointer pointer size_t int pointer uintptr_t], :int32],
      kfk_admin_group_lag: [%i[pointer string pointer uintptr_t], :int32],
      kfk_admin_delete_groups: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_admin_list_share_groups: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_admin_describe_share_groups: [%i[pointer pointer size_t pointer uintptr_t], :int32],
      kfk_admin_share_group_offsets: [%i[pointer string pointer uintptr_t], :int32],
      kfk_admin_alter_share_group_offsets: [%i[pointer string pointer size_t pointer uintptr_t], :int32],
      kfk_admin_delete_share_group_offsets: [%i[pointer string pointer size_t pointer uintptr_t], :int32],
      kfk_subscribe: [%i[pointer pointer size_t pointer size_t pointer uintptr_t], :int32],
      kfk_commit: [%i[pointer pointer uintptr_t], :int32],
      kfk_unsubscribe: [%i[pointer pointer uintptr_t], :int32],
      kfk_share_subscribe: [%i[pointer pointer size_t pointer size_t], :int32],
      kfk_share_consume: [%i[pointer pointer uintptr_t], :int32],
      kfk_share_acknowledge: [%i[pointer string int32 int64 int], :int32],
      kfk_share_commit: [%i[pointer pointer uintptr_t], :int32],
      kfk_share_unsubscribe: [%i[pointer pointer uintptr_t], :int32],
      kfk_txn_begin: [[:pointer], :int32],
      kfk_txn_send_offsets: [%i[pointer string pointer size_t pointer uintptr_t], :int32],
      kfk_txn_commit: [%i[pointer pointer uintptr_t], :int32],
      kfk_txn_abort: [%i[pointer pointer uintptr_t], :int32],
    }.freeze

    @loaded_pid = nil
    @mutex = Mutex.new

    class << self
      attr_reader :loaded_pid

      # KFK_LIBRARY, the copy a platform gem carries beside this file, the
      # repository's build/ folder, or the system library path.
      def library_path
        return ENV["KFK_LIBRARY"] if ENV["KFK_LIBRARY"]

        [File.expand_path("libkfk.so", __dir__), File.expand_path("../../../../build/libkfk.so", __dir__)]
          .find { |path| File.exist?(path) } || "kfk"
      end

      def load!
        @mutex.synchronize do
          return if @loaded_pid

          ffi_lib library_path
          FUNCTIONS.each { |name, (args, ret, opts)| attach_function(name, args, ret, **(opts || {})) }
          @loaded_pid = Process.pid
        end
      end

      def forked?
        @loaded_pid && @loaded_pid != Process.pid
      end

      # Bytes the library hands out, read by pointer and length, never up
      # to a NUL (keys and values may hold NULs); NULL is Kafka's null.
      def bytes_at(ptr, len)
        ptr.null? ? nil : ptr.read_bytes(len)
      end

      # A NUL-terminated string the library hands out (a name, a message):
      # UTF-8 text, as kfk.h says.
      def text_at(ptr)
        ptr.null? ? nil : ptr.read_string.force_encoding(Encoding::UTF_8)
      end

      # Converts a kfk_val_t tree to Ruby values (String text is UTF-8,
      # binary data ASCII-8BIT, nil for null).
      def tree(val)
        case val[:type]
        when VAL_INT then val[:i]
        when VAL_BOOL then val[:i] != 0
        when VAL_STR then bytes_at(val[:s], val[:n])&.force_encoding(Encoding::UTF_8)
        when VAL_BYTES then bytes_at(val[:s], val[:n])
        when VAL_LIST
          Array.new(val[:n]) { |i| tree(Val.new(val[:items] + i * Val.size)) }
        when VAL_MAP
          (0...val[:n]).to_h do |i|
            [tree(Val.new(val[:items] + 2 * i * Val.size)), tree(Val.new(val[:items] + (2 * i + 1) * Val.size))]
          end
        end
      end
    end
  end
end
