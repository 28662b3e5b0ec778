import Testing
@testable import FlowGuide

@Suite struct MatrixTests {
    @Test func shapeAndSubscript() throws {
        var m = try Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m[1, 2] == 6)
        m[0, 1] = 9
        #expect(Array(m.row(0)) == [1, 9, 3])
    }

    @Test func rejectsBadShapes() {
        #expect(throws: KernelError.self) { try Matrix(rows: 2, columns: 3, scalars: [1, 2]) }
        #expect(throws: KernelError.self) { try Matrix([[1, 2], [3]]) }
    }
}
