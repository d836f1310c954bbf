# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "kfk"
  s.version = "0.4.0"
  s.summary = "Kafka client: Ruby binding (ffi) over libkfk"
  s.description = "Loads libkfk.so (KFK_LIBRARY, the one a platform gem carries, the repository build/ folder, " \
                  "or the system path) on first use."
  s.authors = ["kfk developers"]
  s.license = "MIT"
  s.files = Dir["lib/**/*.rb"]
  # make ruby-gem copies the library in and asks for a platform gem.
  if ENV["KFK_GEM_PLATFORM"]
    s.platform = ENV["KFK_GEM_PLATFORM"]
    s.files += ["lib/kfk/libkfk.so"]
  end
  s.require_paths = ["lib"]
  s.required_ruby_version = ">= 3.0"
  s.add_dependency "ffi", ">= 1.15"
  s.add_development_dependency "minitest", ">= 5"
end
