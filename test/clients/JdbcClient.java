// test/clients/JdbcClient.java — bpnn from Java with pgjdbc (Debian's
// libpostgresql-jdbc-java), compiled by test/t/012_clients.pl at test time.
//   args: URL USER PASSWORD (an empty password: none)
// pgjdbc sends setString as varchar, and with stringtype=unspecified as an
// untyped parameter; both must score as the typed float8[] call does, and
// a model must go out and back in as a string, as bytes and through
// CopyManager.  Prints one ok:/FAILED: line per check; exits non-zero
// only when it could not run them.
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.*;
import java.util.Properties;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcClient {
	static final String ROW = "{\"sepal_length_cm\": 5.1, \"sepal_width_cm\": 3.5, \"petal_length_cm\": 1.4, \"petal_width_cm\": 0.2}";

	static void check(String name, boolean ok, Object detail) {
		System.out.println((ok ? "ok: " : "FAILED: ") + "pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION
				+ ": " + name + (ok ? "" : " (" + detail + ")"));
	}

	static Connection connect(String url, String user, String password) throws SQLException {
		Properties p = new Properties();
		p.setProperty("user", user);
		if (!password.isEmpty())
			p.setProperty("password", password);
		return DriverManager.getConnection(url, p);
	}

	static String one(Connection c, String sql, String... params) throws SQLException {
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			for (int i = 0; i < params.length; i++)
				ps.setString(i + 1, params[i]);
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				return rs.getString(1);
			}
		}
	}

	static void scores(Connection c, String how, String param, String ref) {
		try {
			String got = one(c, "SELECT bpnn_predict(model, ?) FROM iris_model", param);
			check(how + " scores as float8[]", ref.equals(got), got);
		} catch (SQLException e) {
			check(how + " scores as float8[]", false, e.getMessage());
		}
	}

	public static void main(String[] args) throws Exception {
		String url = args[0], user = args[1], password = args[2];
		try (Connection c = connect(url, user, password);
			 Connection untyped = connect(url + (url.contains("?") ? "&" : "?") + "stringtype=unspecified", user, password)) {
			String ref = one(c, "SELECT bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model");
			scores(c, "setString (varchar), a JSON object,", ROW, ref);
			scores(c, "setString (varchar), an array literal,", "{5.1,3.5,1.4,0.2}", ref);
			scores(untyped, "stringtype=unspecified, a JSON object,", ROW, ref);
			scores(untyped, "stringtype=unspecified, an array literal,", "{5.1,3.5,1.4,0.2}", ref);
			try (PreparedStatement ps = c.prepareStatement("SELECT bpnn_predict(model, ?) FROM iris_model")) {
				ps.setArray(1, c.createArrayOf("float8", new Double[] {5.1, 3.5, 1.4, 0.2}));
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					check("setArray of float8 scores as float8[]", ref.equals(rs.getString(1)), rs.getString(1));
				}
			}
			try {
				one(c, "SELECT bpnn_predict(model, ?) FROM iris_model", "{}");
				check("an empty row is refused", false, "no error");
			} catch (SQLException e) {
				check("an empty row is refused (" + e.getSQLState() + ")", "22023".equals(e.getSQLState()), e.getMessage());
			}

			// a model out and back in: setString (varchar), setBytes (bytea), CopyManager
			String text = one(c, "SELECT model::text FROM iris_model");
			byte[] bytes;
			try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT model::bytea FROM iris_model")) {
				rs.next();
				bytes = rs.getBytes(1);
			}
			try (Statement s = c.createStatement()) {
				s.execute("CREATE TEMP TABLE copies (form text, model bpnn_model)");
			}
			try (PreparedStatement ps = c.prepareStatement("INSERT INTO copies VALUES ('setString', ?)")) {
				ps.setString(1, text);
				ps.executeUpdate();
			}
			try (PreparedStatement ps = c.prepareStatement("INSERT INTO copies VALUES ('setBytes', ?)")) {
				ps.setBytes(1, bytes);
				ps.executeUpdate();
			}
			CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			copy.copyOut("COPY (SELECT 'copy binary', model FROM iris_model) TO STDOUT (FORMAT binary)", out);
			copy.copyIn("COPY copies FROM STDIN (FORMAT binary)", new ByteArrayInputStream(out.toByteArray()));
			String same = one(c, "SELECT count(*) || ' ' || bool_and(model::text = ?) FROM copies", text);
			check("a model read out and written back with setString, setBytes and binary COPY is the same model",
				  "3 true".equals(same), same);
		}
	}
}
