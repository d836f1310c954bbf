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
end
