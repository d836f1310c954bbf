# A share group member (KIP-932): reads TOPIC together with the group's
# other members, accepts each record it is handed and prints it as
# partition:offset, until it has accepted --count records or 10 s pass
# without one; then sends its acknowledgements and leaves. Start several
# to see the records divided among them. (A new share group starts at the
# latest record: set the group's share.auto.offset.reset to read older ones.)
#
#   ruby -Ibindings/ruby/lib examples/ruby/share_consumer.rb 127.0.0.1:9092 jobs workers --count 100
require "kfk"
require "optparse"

IDLE_SECONDS = 10

count = nil
args = OptionParser.new { |o| o.on("--count N", Integer) { |n| count = n } }.parse(ARGV)
abort "usage: #{$PROGRAM_NAME} BROKERS TOPIC GROUP [--count N]" unless args.size == 3
brokers, topic, group = args

accepted = 0
Kfk::Client.open(brokers: brokers) do |kafka|
  kafka.share_subscribe(topic, group_id: group, acknowledgement_mode: :explicit)
  last = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  until (count && accepted >= count) || Process.clock_gettime(Process::CLOCK_MONOTONIC) - last > IDLE_SECONDS
    kafka.share_consume.each do |record|
      break if count && accepted >= count # the rest are released to the group's other members

      kafka.share_acknowledge(record, :accept)
      puts "#{record.partition}:#{record.offset}"
      accepted += 1
      last = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
  # share_unsubscribe sends the acceptances and releases what was handed
  # over but not accepted.
  kafka.share_unsubscribe
end
