# frozen_string_literal: true

require "minitest/autorun"
require_relative "../lib/kfk"

# Wrong types, impossible values and closed objects: every call works or
# raises a Ruby exception (TypeError, ArgumentError, Kfk::Error...); none
# crashes the interpreter. No broker is needed.
class HostileInputTest < Minitest::Test
  OFFLINE = "127.0.0.1:1"
  WRONG = [nil, 3, 2.5, "text", [1], { "a" => 1 }, Object.new, -1, 2**70].freeze
  EXPECTED = [TypeError, ArgumentError, RangeError, NoMethodError, KeyError, Kfk::Error].freeze

  # Runs the block; true when it raised one of EXPECTED. Anything else
  # propagates and fails the test.
  def raises_cleanly
    yield
    false
  rescue *EXPECTED
    true
  end

  def test_client_calls_with_wrong_types
    client = Kfk::Client.new(brokers: OFFLINE)
    refused = 0
    WRONG.each do |bad|
      refused += 1 if raises_cleanly { client.produce(bad, "v") }
      raises_cleanly { client.produce("t", bad) }
      raises_cleanly { client.produce("t", "v", key: bad) }
      refused += 1 if raises_cleanly { client.produce("t", "v", partition: bad) }
      raises_cleanly { client.produce("t", "v", headers: bad) }
      raises_cleanly { client.produce("t", "v", timestamp: bad) }
      raises_cleanly { client.produce_many([{ topic: "t", value: "v", timestamp: bad }]) }
      raises_cleanly { client.produce_many([bad]) }
      raises_cleanly { client.assign(bad) }
      raises_cleanly { client.assign([{ topic: bad, partition: 0 }]) }
      raises_cleanly { client.partition_count(bad) }
      # without a share subscription every acknowledgement is refused
      refused += 1 if raises_cleanly { client.share_acknowledge(bad, :accept) }
      refused += 1 if raises_cleanly { client.share_acknowledge({ topic: "t", partition: 0, offset: 0 }, bad) }
      refused += 1 if raises_cleanly { client.share_acknowledge({ topic: bad, partition: bad, offset: bad }) }
      raises_cleanly { client.share_subscribe(bad, group_id: "g", acknowledgement_mode: bad) }
    end
    assert_operator refused, :>=, 4 * WRONG.size # a topic or partition of the wrong kind is never taken
    ["", ".", "..", "a/b", "x" * 300].each do |topic|
      assert_raises(Kfk::Error) { client.produce(topic, "v") }
    end
  ensure
    raises_cleanly { client&.close(timeout: 0.1) }
  end

  def test_closed_client_refuses
    client = Kfk::Client.new(brokers: OFFLINE)
    client.close(timeout: 1)
    assert raises_cleanly { client.produce("t", "v") }
    assert raises_cleanly { client.assign([{ topic: "t", partition: 0 }]) }
    client.close # twice is harmless
  end
end
