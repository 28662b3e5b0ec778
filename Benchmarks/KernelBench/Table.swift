// A minimal table: rendered aligned for the terminal and as a Markdown table for the docs.

struct Table {
    let title: String
    let headers: [String]
    /// Right-align every column except the first `leftColumns`.
    var leftColumns = 1
    var rows: [[String]] = []
    var notes: [String] = []

    init(_ title: String, _ headers: [String], leftColumns: Int = 1) {
        self.title = title
        self.headers = headers
        self.leftColumns = leftColumns
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    var text: String {
        var widths = headers.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return i < leftColumns ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var out = "\n== \(title) ==\n" + line(headers) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        for n in notes { out += n + "\n" }
        return out
    }

    var markdown: String {
        var out = "### \(title)\n\n| " + headers.joined(separator: " | ") + " |\n|"
        out += headers.indices.map { $0 < leftColumns ? " :--- |" : " ---: |" }.joined() + "\n"
        for r in rows { out += "| " + r.joined(separator: " | ") + " |\n" }
        if !notes.isEmpty { out += "\n" + notes.joined(separator: "\n\n") + "\n" }
        return out + "\n"
    }
}

func fmt(_ v: Double, _ digits: Int = 1) -> String {
    guard v.isFinite else { return "—" }
    var s = String(Int((abs(v) * pow10(digits)).rounded()))
    if digits > 0 {
        while s.count <= digits { s = "0" + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
    }
    return (v < 0 ? "-" : "") + s
}

private func pow10(_ d: Int) -> Double {
    var p = 1.0
    for _ in 0..<d { p *= 10 }
    return p
}

/// 3 significant-ish digits for times and ratios of any magnitude.
func fmtAuto(_ v: Double) -> String {
    guard v.isFinite else { return "—" }
    let a = abs(v)
    return a >= 100 ? fmt(v, 0) : a >= 10 ? fmt(v, 1) : a >= 1 ? fmt(v, 2) : fmt(v, 3)
}

func fmtCount(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}
