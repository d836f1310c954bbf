# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# Share groups (KIP-932) through Kfk::Client: members reading one topic
# together, each record accepted once; a released record delivered again
# with its delivery count; a rejected one never again; bytes through the
# share path; and the calls' refusals.
class ShareTest < Minitest::Test
  include BrokerHelpers

  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  # A topic with its records, and a share group reading it from its
  # earliest record.
  def share_setup(partitions, records)
    topic = "rbshare-#{SecureRandom.hex(6)}"
    group = "rbshare-group-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers) do |admin|
      created = admin.create_topics([{ name: topic, num_partitions: partitions, replication_factor: 1 }])
      assert_equal 0, created["topics"][0]["error_code"]
      assert_nil admin.produce_many(records.map { |r| r.merge(topic: topic) }).value(60)
    end
    share_group_from_earliest(@brokers, group)
    [topic, group]
  end

  # Calls share_consume until the block says enough (60 s at most);
  # returns everything it returned.
  def share_consume_until(client)
    got = []
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 60
    got.concat(client.share_consume) until yield(got) || !seconds_left(deadline).positive?
    got
  end

  def test_three_members_accept_every_record_once
    n = 300
    topic, group = share_setup(2, Array.new(n) { |i| { key: "k#{i}", value: "v#{i}", partition: i % 2 } })
    times = Hash.new(0)
    lock = Mutex.new
    members = Array.new(3) { Kfk::Client.open(brokers: @brokers, max_poll_records: 10) }
    members.each { |c| c.share_subscribe([topic], group_id: group, acquire_mode: :record_limit) }
    threads = members.map do |c|
      Thread.new do
        share_consume_until(c) do |got|
          lock.synchronize { got.each { |m| times["#{m.partition}:#{m.offset}"] += 1 }.clear }
          lock.synchronize { times.size >= n }
        end
        c.share_unsubscribe
      end
    end
    threads.each(&:join)
    assert_equal n, times.size, "the members together got every record"
    assert_empty times.reject { |_, count| count == 1 }, "no record was handed to two members"

    # Nothing was left unaccepted: a new member, given one more record per
    # partition, gets those and nothing older.
    Kfk::Client.open(brokers: @brokers) do |c|
      c.produce_many([0, 1].map { |p| { topic: topic, value: "after", partition: p } }).value
      c.share_subscribe(topic, group_id: group)
      late = share_consume_until(c) { |got| got.count { |m| m.value == "after" } == 2 }
      assert_equal [%w[after 1]] * 2, late.map { |m| [m.value, m.delivery_count.to_s] }
    end
  ensure
    members&.each(&:close)
  end

  def test_release_reject_accept
    topic, group = share_setup(1, Array.new(3) { |i| { value: "r#{i}", partition: 0 } })
    Kfk::Client.open(brokers: @brokers) do |c|
      c.share_subscribe([topic], group_id: group, acknowledgement_mode: :explicit)
      got = share_consume_until(c) { |g| g.size >= 3 }
      assert_equal [[0, "r0", 1], [1, "r1", 1], [2, "r2", 1]], got.map { |m| [m.offset, m.value, m.delivery_count] }
      error = assert_raises(ArgumentError) { c.share_acknowledge(got[0], :bogus) }
      assert_match "unknown acknowledgement type :bogus (:accept, :release or :reject)", error.message
      c.share_acknowledge(got[0], :release)
      c.share_acknowledge({ topic: topic, partition: 0, offset: 1 }, :reject)
      c.share_acknowledge(got[2], :accept)
      error = assert_raises(Kfk::Error) { c.share_acknowledge(got[2], :accept) }
      assert_match "@2: the record was not handed over, or is acknowledged already", error.message
      assert_equal "KFK_ERR_STATE", error.name
      error = assert_raises(Kfk::Error) { c.share_acknowledge({ topic: topic, partition: 0, offset: 99 }) }
      assert_match "@99: the record was not handed over", error.message
      # whether a fetch took the acknowledgements first (by_fetch) depends on timing
      results = c.share_commit
      assert_equal [[topic, 0, 0]], results.map { |r| r.values_at("topic", "partition", "error_code") }
      assert_includes [true, false], results[0]["by_fetch"]

      again = share_consume_until(c) { |g| !g.empty? }
      assert_equal [[0, "r0", 2]], again.map { |m| [m.offset, m.value, m.delivery_count] },
                   "the released record comes back, delivered a second time"
      c.share_acknowledge(again[0], :accept)

      # The rejected record (and the accepted ones) never come again: the
      # next record produced is the next one handed over.
      c.produce(topic, "r3", partition: 0).value
      later = share_consume_until(c) { |g| !g.empty? }
      assert_equal [[3, "r3", 1]], later.map { |m| [m.offset, m.value, m.delivery_count] }
      c.share_acknowledge(later[0])
      c.share_unsubscribe
      error = assert_raises(Kfk::Error) { c.share_acknowledge(later[0]) }
      assert_match "not subscribed to a share group", error.message

      # In implicit mode the next share_consume acknowledges.
      c.share_subscribe([topic], group_id: "rbshare-implicit-#{SecureRandom.hex(6)}")
      error = assert_raises(Kfk::Error) { c.share_acknowledge(later[0]) }
      assert_match "acknowledges implicitly (acknowledgement_mode: :explicit", error.message
    end
  end

  ALL_BYTES = (0..255).to_a.pack("C*")
  RECORDS = [
    { key: ALL_BYTES, value: ALL_BYTES, headers: [["h\u00e9", ALL_BYTES]] },
    { key: "\0a\0\0b\0", value: "\0" },
    { key: "", value: nil, headers: [["empty", ""], ["null", nil]] },
    { key: nil, value: "" },
    { key: nil, value: nil },
  ].freeze

  def test_bytes_through_the_share_path
    topic, group = share_setup(1, RECORDS.map { |r| r.merge(partition: 0) })
    Kfk::Client.open(brokers: @brokers) do |c|
      c.share_subscribe(topic, group_id: group)
      got = share_consume_until(c) { |g| g.size >= RECORDS.size }
      RECORDS.zip(got).each_with_index do |(sent, m), i|
        %i[key value].each do |field|
          if sent[field].nil?
            assert_nil m[field], "record #{i} #{field}"
          else
            assert_equal sent[field].b, m[field], "record #{i} #{field}"
            assert_equal Encoding::BINARY, m[field].encoding
          end
        end
        assert_equal (sent[:headers] || []).map { |k, v| [k, v&.b] }, m.headers, "record #{i} headers"
      end
    end
  end

  # Refusals that need no broker.
  def test_refusals
    c = Kfk::Client.new(brokers: "127.0.0.1:1")
    record = { topic: "t", partition: 0, offset: 0 }
    error = assert_raises(Kfk::Error) { c.share_acknowledge(record, :accept) }
    assert_equal "KFK_ERR_STATE: share_acknowledge t[0]@0: not subscribed to a share group", error.message
    error = assert_raises(ArgumentError) { c.share_acknowledge(record, "accept") }
    assert_match 'unknown acknowledgement type "accept"', error.message
    error = assert_raises(ArgumentError) { c.share_acknowledge({ topic: "t" }, :accept) }
    assert_match "needs a record's topic, partition and offset", error.message
    error = assert_raises(Kfk::Error) { c.share_consume }
    assert_match "not subscribed to a share group", error.message
    assert_raises(Kfk::Error) { c.share_commit }
    error = assert_raises(ArgumentError) { c.share_subscribe("t", group_id: "g", acknowledgement_mode: :sometimes) }
    assert_match "acknowledgement_mode: must be implicit or explicit, not :sometimes", error.message
    error = assert_raises(ArgumentError) { c.share_subscribe("t", group_id: "g", lock_ms: 5) }
    assert_match "lock_ms", error.message
    error = assert_raises(ArgumentError) { c.share_subscribe([], group_id: "g") }
    assert_match "at least one topic", error.message
    assert_raises(ArgumentError) { c.share_subscribe("t") } # group_id: is required
    error = assert_raises(ArgumentError) { c.share_subscribe("t", group_id: "") }
    assert_match "needs a group_id", error.message
  ensure
    c&.close(timeout: 5)
  end
end
