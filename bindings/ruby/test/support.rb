# frozen_string_literal: true

# Waits the broker tests share: each waits for a condition, with a
# deadline instead of a fixed sleep.
module BrokerHelpers
  def now_ms = Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)

  def seconds_left(deadline) = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)

  # Calls client.consume until n messages came (30 s at most).
  def consume(client, n)
    got = []
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    got.concat(client.consume) while got.size < n && seconds_left(deadline).positive?
    got
  end

  # Calls client.consume until the block holds of everything read (60 s
  # at most); returns what was read.
  def consume_until(client, seconds = 60)
    got = []
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    got.concat(client.consume) until yield(got) || !seconds_left(deadline).positive?
    got
  end

  # Conn#produce_batch to a new topic, again while its partition has no
  # leader yet (UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER),
  # 30 s at most; returns the partition's error code.
  def conn_produce_when_led(conn, topic, records)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    loop do
      code = conn.produce_batch(topic, 0, records, acks: -1).value.dig("topics", 0, "partitions", 0, "error_code")
      return code unless [3, 6].include?(code) && seconds_left(deadline).positive?
    end
  end

  INCREMENTAL_ALTER_CONFIGS = 44
  GROUP_RESOURCE = 32
  CONFIG_SET = 0

  # kfk_conn_raw_request, declared here for share_group_from_earliest:
  # the binding has no call for group configs.
  module RawRequest
    extend ::FFI::Library

    def self.load!
      return if respond_to?(:kfk_conn_raw_request)

      Kfk::FFI.load!
      ffi_lib Kfk::FFI.library_path
      attach_function :kfk_conn_raw_request, %i[pointer int16 int16 pointer size_t pointer uintptr_t], :int32
    end
  end

  # Sets share.auto.offset.reset=earliest for the share group (a new share
  # group starts at the latest record): IncrementalAlterConfigs v0 for a
  # GROUP resource, sent on a Conn to the first of brokers.
  def share_group_from_earliest(brokers, group)
    RawRequest.load!
    host, port = brokers.split(",").first.split(":")
    conn = Kfk::Conn.new
    conn.connect(host, port.to_i).value
    str = ->(text) { [text.bytesize, text].pack("na*") } # an INT16-length STRING
    body = [1, GROUP_RESOURCE].pack("NC") + str.(group) + [1].pack("N") + str.("share.auto.offset.reset") +
           [CONFIG_SET].pack("C") + str.("earliest") + [0].pack("C") # validate_only false
    buf = ::FFI::MemoryPointer.new(:char, body.bytesize)
    buf.put_bytes(0, body)
    req = Kfk::Request.new(conn.queue, nil)
    tag = conn.queue.register(req)
    code = RawRequest.kfk_conn_raw_request(conn.send(:handle), INCREMENTAL_ALTER_CONFIGS, 0, buf, body.bytesize, nil, tag)
    raise Kfk::Error, code unless code.zero?

    # throttle_time_ms (4 bytes), the resource count (4), then its error code
    error_code = req.value["body"].unpack1("x8n")
    raise "share.auto.offset.reset for #{group}: error #{error_code}" unless error_code.zero?
  ensure
    conn&.close
  end
end
