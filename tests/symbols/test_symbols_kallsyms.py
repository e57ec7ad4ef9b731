

def test_at_gives_the_first_symbol_listed_exactly_at_an_address() -> None:
    from pybpf.symbols.kallsyms import KernelSymbols, parse_kallsyms

    table = KernelSymbols(
        parse_kallsyms("ffffffff81000010 T alias_one\nffffffff81000010 T alias_two\nffffffff81000020 t other\n")
    )
    first = table.at(0xFFFFFFFF81000010)
    assert first is not None and first.name == "alias_one"
    assert table.at(0xFFFFFFFF81000018) is None
