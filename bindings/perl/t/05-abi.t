# The binding's picture of the C ABI against the compiler's: every struct
# Kfk::FFI packs (size and each field's offset) and every KFK_* constant it
# names, compared with what tests/abi/kfk_abi.py measures in include/kfk.h.
# No broker and no library needed.
use strict;
use warnings;
use Test::More;
use JSON::PP ();
use FindBin;
use Kfk::FFI;

my $script = "$FindBin::Bin/../../../tests/abi/kfk_abi.py";
plan skip_all => 'tests/abi/kfk_abi.py is not here (not a kfk source tree)' unless -e $script;
my $json = `python3 $script`;
is($?, 0, 'kfk_abi.py measured the header') or BAIL_OUT('cannot measure the ABI');
my $abi = JSON::PP::decode_json($json);

my $layouts = Kfk::FFI::struct_layouts();
ok(scalar keys %$layouts, 'the binding declares structs');
for my $name (sort keys %$layouts) {
    my $c = $abi->{structs}{$name};
    ok($c, "$name is in kfk.h") or next;
    is($layouts->{$name}{size}, $c->{size}, "$name: size $c->{size}");
    is_deeply([sort keys %{ $layouts->{$name}{fields} }], [sort keys %{ $c->{fields} }],
        "$name: the same fields");
    for my $field (sort keys %{ $c->{fields} }) {
        is($layouts->{$name}{fields}{$field}, $c->{fields}{$field}, "$name.$field at offset $c->{fields}{$field}");
    }
}

my $constants = Kfk::FFI::constants();
for my $name (sort keys %$constants) {
    is($constants->{$name}, $abi->{constants}{$name}, "$name = " . ($abi->{constants}{$name} // 'missing'));
    is(Kfk::FFI->can(substr $name, 4)->(), $constants->{$name}, "Kfk::FFI::" . substr($name, 4) . " is $name");
}
for my $name (sort grep { /^KFK_ERR_/ } keys %{ $abi->{constants} }) {
    ok(exists $constants->{$name}, "the binding names $name");
}

done_testing;
