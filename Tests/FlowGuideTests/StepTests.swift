import Testing
@testable import FlowGuide

@Suite struct StepTests {
    @Test(arguments: testShapes)
    func eulerStepMatchesTheFormula(_ shape: (rows: Int, columns: Int)) throws {
        var x = randomMatrix(rows: shape.rows, columns: shape.columns, seed: 1)
        let v = randomMatrix(rows: shape.rows, columns: shape.columns, seed: 2)
        let h: Float = -0.125
        let want = zip(x.scalars, v.scalars).map { Double($0) + Double(h) * Double($1) }.map(Float.init)
        try Kernels.eulerStep(&x, velocity: v, stepSize: h)
        #expect(relativeError(x.scalars, want) <= 1e-6)
    }

    @Test func combineMatchesTheFormula() throws {
        let base = randomMatrix(rows: 5, columns: 9, seed: 3)
        let k = (1...4).map { randomMatrix(rows: 5, columns: 9, seed: UInt64(10 + $0)) }
        let c: [Float] = [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6]
        var out = Matrix(rows: 5, columns: 9)
        try Kernels.combine(base: base, terms: zip(c, k).map { ($0, $1) }, into: &out)
        let want = base.scalars.indices.map { i in
            Float(Double(base.scalars[i]) + (0..<4).reduce(0.0) { $0 + Double(c[$1]) * Double(k[$1].scalars[i]) })
        }
        #expect(relativeError(out.scalars, want) <= 1e-6)
    }

    @Test func shapeMismatchThrows() {
        var x = Matrix(rows: 2, columns: 3)
        let v = Matrix(rows: 3, columns: 2)
        #expect {
            try Kernels.eulerStep(&x, velocity: v, stepSize: -0.1)
        } throws: { ($0 as? KernelError)?.code == .shapeMismatch }
        var out = Matrix(rows: 2, columns: 3)
        #expect(throws: KernelError.self) { try Kernels.combine(base: nil, terms: [], into: &out) }
    }

    @Test func nonFiniteValuesPropagate() throws {
        var x = try Matrix([[1, 2, 3]])
        let v = try Matrix([[Float.nan, .infinity, 1]])
        try Kernels.eulerStep(&x, velocity: v, stepSize: -0.5)
        #expect(x[0, 0].isNaN)
        #expect(x[0, 1] == -.infinity)
        #expect(x[0, 2] == 2.5)
    }
}
