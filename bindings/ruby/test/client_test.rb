# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

class ClientTest < Minitest::Test
  include BrokerHelpers

  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def test_produce_consume_round_trip
    topic = "rbclient-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, "compression.type" => "lz4") do |kafka|
      reports = Array.new(20) { |i| kafka.produce(topic, "v#{i}", key: "k#{i}", partition: 0, headers: { "h" => "x" }) }
      kafka.flush
      offsets = reports.map { |r| r.value.offset }
      assert_equal (0...20).to_a, offsets.sort
      assert_equal topic, reports.first.value.topic
      kafka.assign([{ topic: topic, partition: 0, offset: -2 }])
      got = []
      kafka.each_message.each { |m| got << m; break if got.size >= 20 }
      assert_equal %w[k0 k1 k2], got.first(3).map(&:key)
      assert_equal "v0".b, got.first.value
      assert_equal [["h", "x".b]], got.first.headers
    end
  end

  # max_poll_records bounds each consume; the rest waits, in order. The
  # first consume after a seek reads from the new position.
  def test_max_poll_records_and_seek
    topic = "rbmaxpoll-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, max_poll_records: 7) do |kafka|
      50.times { |i| kafka.produce(topic, "r#{i}", partition: 0) }
      kafka.flush
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      got = []
      100.times do
        batch = kafka.consume
        assert_operator batch.size, :<=, 7
        got.concat(batch)
        break if got.size >= 50
      end
      assert_equal (0...50).map { |i| "r#{i}" }, got.map(&:value)
      kafka.seek(topic, 0, 3)
      assert_equal %w[r3 r4 r5 r6 r7 r8 r9], kafka.consume.map(&:value)
    end
  end

  # A paused partition hands nothing over, even what was fetched already;
  # resumed, it goes on where it stopped. Pausing a partition not
  # assigned is refused by name.
  def test_pause_and_resume
    topic = "rbpause-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, max_poll_records: 3) do |kafka|
      10.times { |i| kafka.produce(topic, "r#{i}", partition: 0) }
      kafka.flush
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      got = []
      got.concat(kafka.consume) while got.empty?
      kafka.pause([{ topic: topic, partition: 0 }])
      assert_empty kafka.consume
      kafka.resume([{ topic: topic, partition: 0 }])
      got.concat(kafka.consume) while got.size < 10
      assert_equal (0...10).map { |i| "r#{i}" }, got.map(&:value)
      err = assert_raises(Kfk::Error) { kafka.pause([{ topic: topic, partition: 5 }]) }
      assert_equal Kfk::FFI::ERR_STATE, err.code
      assert_match(/pause: a partition is not assigned/, err.message)
    end
  end

  # Each thread (fiber) fills its own message buffers: records keep their
  # own key, value and headers, and each thread's order, when threads
  # interleave; keys and values of different sizes share one buffer.
  def test_produce_from_several_threads
    topic = "rbthreads-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      threads = Array.new(4) do |n|
        Thread.new do
          1000.times { |i| kafka.produce(topic, "#{n}-#{i}#{"x" * (i % 50)}", key: "k#{n}" * (1 + i % 3), partition: 0, headers: { "h" => n.to_s }) }
        end
      end
      threads.each(&:join)
      kafka.flush
      kafka.assign([{ topic: topic, partition: 0, offset: -2 }])
      seen = Hash.new { |h, k| h[k] = [] }
      count = 0
      kafka.each_message.each do |m|
        n, rest = m.value.split("-", 2)
        i = rest.to_i
        assert_equal "#{n}-#{i}#{"x" * (i % 50)}", m.value
        assert_equal "k#{n}" * (1 + i % 3), m.key
        assert_equal [["h", n.b]], m.headers
        seen[n] << i
        break if (count += 1) >= 4000
      end
      assert_equal %w[0 1 2 3], seen.keys.sort
      seen.each_value { |is| assert_equal (0...1000).to_a, is }
    end
  end

  def test_group_subscribe
    topic = "rbgroup-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers) do |p|
      10.times { |i| p.produce(topic, "m#{i}") }
      p.flush
    end
    assigned = nil
    Kfk::Client.open(brokers: @brokers) do |kafka|
      kafka.subscribe([topic], group_id: "rb-#{SecureRandom.hex(4)}", auto_offset_reset: "earliest",
                               heartbeat_interval_ms: 300, on_assign: ->(parts) { assigned = parts })
      seen = consume_until(kafka) { |got| got.size >= 10 }
      assert_equal 10, seen.size
      assert_equal topic, assigned.first["topic"]
      kafka.commit
      kafka.unsubscribe
    end
  end

  def test_transactions
    topic = "rbtxn-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, transactional_id: "rbtxn-#{SecureRandom.hex(4)}") do |p|
      # outside a transaction: a plain idempotent record, as EV::Kafka sends it
      p.produce(topic, "outside", partition: 0).value
      p.begin_transaction
      3.times { |i| p.produce(topic, "c#{i}", partition: 0) }
      p.send_offsets_to_transaction("rbtxn-group-#{SecureRandom.hex(4)}", [{ topic: topic, partition: 0, offset: 1 }])
      p.commit_transaction
      p.begin_transaction
      p.produce(topic, "aborted", partition: 0)
      p.abort_transaction
      # the end of what is read: the aborted record, if read, comes before it
      p.produce(topic, "end", partition: 0).value
    end
    Kfk::Client.open(brokers: @brokers, isolation_level: "read_committed") do |c|
      c.assign([{ topic: topic, partition: 0, offset: -2 }])
      got = consume_until(c) { |read| read.any? { |m| m.value == "end" } }
      assert_equal %w[outside c0 c1 c2 end], got.map(&:value)
    end
  end

  def test_produce_many_seek_offsets_lag_and_partitioner
    topic = "rbmany-#{SecureRandom.hex(6)}"
    calls = []
    by_length = lambda do |t, key, n|
      calls << [t, key, n]
      (key || "").bytesize % n
    end
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, partitioner: by_length) do |kafka|
      kafka.create_topics([{ name: topic, num_partitions: 2, replication_factor: 1 }])
      assert_nil kafka.produce_many(Array.new(10) { |i| { topic: topic, value: "m#{i}", key: "k" * (i % 2) } }).value
      assert_equal 10, calls.size
      assert_equal [topic, "k".b, 2], calls[1]
      bad = kafka.produce_many([{ topic: topic, value: "x", partition: 0 }, { topic: topic, value: "y", partition: 9 }])
      failures = bad.value
      assert_equal 1, failures.size
      assert_equal 1, failures.first["index"]
      assert_equal 3, failures.first["error_code"]

      offsets = kafka.offsets_for(topic)
      assert_equal({ "earliest" => 0, "latest" => 6 }, offsets[0]) # 5 by the partitioner + "x"
      assert_equal 5, offsets[1]["latest"]
      kafka.assign([{ topic: topic, partition: 0, offset: -2 }])
      kafka.seek(topic, 0, 4)
      assert_equal [4, 5], consume(kafka, 2).map(&:offset)
      assert_equal 0, kafka.lag["#{topic}:0"]["lag"]
    end
  end

  def test_admin
    topic = "rbadmin-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers) do |admin|
      refute_empty admin.describe_cluster["brokers"]
      created = admin.create_topics([{ name: topic, num_partitions: 1, config: { "retention.ms" => "7200000" } }])
      assert_equal 0, created["topics"][0]["error_code"]
      assert_equal 36, admin.create_topics([{ name: topic }])["topics"][0]["error_code"]
      configs = admin.describe_topic_configs([topic])["topics"][0]["configs"]
      assert_equal "7200000", configs["retention.ms"]["value"]
      admin.alter_topic_configs(topic, "retention.ms" => nil, "segment.bytes" => 1_048_576)
      err = assert_raises(Kfk::Error) { admin.alter_topic_configs("rbnope-#{SecureRandom.hex(4)}", "segment.bytes" => 1_048_576) }
      assert_equal 3, err.code
      admin.create_partitions(topic, 2)
      assert_equal 37, assert_raises(Kfk::Error) { admin.create_partitions(topic, 1) }.code
      4.times { |i| admin.produce(topic, "r#{i}", partition: 0) }
      admin.flush
      deleted = admin.delete_records([{ topic: topic, partition: 0, offset: 3 }])
      assert_equal 3, deleted["partitions"][0]["low_watermark"]

      group = "rbadmin-group-#{SecureRandom.hex(4)}"
      Kfk::Client.open(brokers: @brokers) do |member|
        member.subscribe([topic], group_id: group, auto_offset_reset: "earliest", heartbeat_interval_ms: 300,
                                  auto_commit: false)
        assert_equal 1, consume_until(member) { |got| !got.empty? }.size # what delete_records left
        member.commit
        assert(admin.list_groups["groups"].any? { |g| g["group_id"] == group })
        described = admin.describe_groups([group])["groups"][0]
        assert_equal "stable", described["state"]
        assert_equal [0, 1], described["members"][0]["assignment"][topic].sort
        assert_equal({ "committed" => 4, "latest" => 4, "lag" => 0 }, admin.group_lag(group)["#{topic}:0"])
        member.unsubscribe
      end
      assert_equal 0, admin.delete_topics([topic])["topics"][0]["error_code"]
      assert_equal 3, admin.delete_topics([topic])["topics"][0]["error_code"]
    end
  end

  def test_bad_option_names_the_key
    err = assert_raises(Kfk::Error) { Kfk::Client.new(brokers: @brokers, acks: 9) }
    assert_equal "KFK_ERR_CONFIG", err.name
    assert_match(/acks/, err.message)
  end
end
