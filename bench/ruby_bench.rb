# frozen_string_literal: true

# The Ruby side of the benchmark: kfk's binding doing kfk_bench.c's work.
#
#   ruby -Ibindings/ruby/lib bench/ruby_bench.rb produce|consume|latency brokers topic count size acks compression
#
# Prints kfk_bench's report line, with the same settings.
require "kfk"

def status_kb(field)
  line = File.foreach("/proc/self/status").find { |l| l.start_with?("#{field}:") }
  line ? line.split[1].to_i : -1
end

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

abort "usage: ruby_bench.rb produce|consume|latency brokers topic count size acks compression" if ARGV.size < 7
mode, brokers, topic, count, size, acks, compression = ARGV
count = count.to_i
size = size.to_i
latency = mode == "latency"
client = Kfk::Client.open(brokers: brokers, acks: latency ? 1 : acks, linger_ms: latency ? 0 : 5,
                          compression: compression, batch_size: 1_000_000)
idle_kb = status_kb("VmRSS")
value = "x" * size

case mode
when "produce"
  done = failed = 0
  start = now
  count.times do |i|
    client.produce(topic, value, partition: 0) do |_report, error|
      done += 1
      failed += 1 if error
    end
    client.queue.poll(0) if (i & 1023).zero?
  end
  client.queue.poll(0.05) while done < count
  secs = now - start
  puts "msgs=#{count - failed} bytes=#{(count - failed) * size} seconds=#{format('%.6f', secs)} failed=#{failed} " \
       "rss_idle_kb=#{idle_kb} rss_peak_kb=#{status_kb('VmHWM')}"
when "consume"
  start = now
  client.assign([{ topic: topic, partition: 0, offset: -2 }])
  got = bytes = 0
  while got < count
    client.consume.each do |m|
      got += 1
      bytes += m.value.bytesize
    end
  end
  secs = now - start
  puts "msgs=#{got} bytes=#{bytes} seconds=#{format('%.6f', secs)} failed=0 " \
       "rss_idle_kb=#{idle_kb} rss_peak_kb=#{status_kb('VmHWM')}"
when "latency"
  client.produce(topic, value, partition: 0).value # untimed warm-up
  us = Array.new(count) do
    t0 = now
    client.produce(topic, value, partition: 0).value
    (now - t0) * 1e6
  end.sort
  at = ->(q) { us[(q * (us.size - 1) + 0.5).to_i] }
  puts format("msgs=%d min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f",
              us.size, us[0], at.(0.5), at.(0.9), at.(0.99), us[-1])
else
  abort "unknown mode #{mode}"
end
client.close
