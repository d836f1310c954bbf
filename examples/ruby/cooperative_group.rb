# Two members of one consumer group with cooperative-sticky (KIP-429): the
# first owns all six partitions; when the second joins, the first gives up
# only the three that move (on_revoke lists just those) and keeps reading
# the others, and the second is assigned those three.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-coop ruby -Ibindings/ruby/lib cooperative_group.rb
require "kfk"
require "set"

brokers = ENV.fetch("KAFKA_BROKER", "127.0.0.1:9092")
topic = ENV.fetch("KAFKA_TOPIC", "kfk-coop")
group = "#{topic}-group"

def member(name, brokers, topic, group)
  client = Kfk::Client.new(brokers: brokers)
  owned = Set.new
  client.subscribe([topic], group_id: group, partition_assignment_strategy: "cooperative-sticky",
                            auto_offset_reset: "earliest",
                            on_assign: lambda { |parts|
                              owned.merge(parts.map { |p| p["partition"] })
                              puts "#{name} assigned #{parts.map { |p| p['partition'] }.sort}"
                            },
                            on_revoke: lambda { |parts|
                              owned.subtract(parts.map { |p| p["partition"] })
                              puts "#{name} revoked #{parts.map { |p| p['partition'] }.sort}"
                            })
  [client, owned]
end

# Consumes with every member (their callbacks run here) until the block is true.
def serve(clients, seconds = 30)
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
  until yield
    abort "the group did not settle" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
    clients.each(&:consume)
  end
end

Kfk::Client.open(brokers: brokers) { |admin| admin.create_topics([{ name: topic, num_partitions: 6 }]) }
first, first_owned = member("first", brokers, topic, group)
serve([first]) { first_owned.size == 6 }
second, second_owned = member("second", brokers, topic, group)
serve([first, second]) { first_owned.size == 3 && second_owned.size == 3 }
puts "first keeps #{first_owned.sort} - second has #{second_owned.sort}"
[second, first].each(&:close)
