package dev.stillpoint.guest.contract;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Typed field access on a parsed JSON object, with messages that name the field; and the one JSON writer. */
final class Json {
    private final Map<?, ?> map;
    private final String where;

    Json(Map<?, ?> map, String where) {
        this.map = map;
        this.where = where;
    }

    static Map<?, ?> object(String text, String what) throws ContractException {
        Object root;
        try {
            root = JSON.std.anyFrom(text);
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new ContractException(
                    what + ": not valid JSON: " + m.lines().findFirst().orElse(""));
        }
        if (!(root instanceof Map<?, ?>)) throw new ContractException(what + ": not a JSON object");
        return (Map<?, ?>) root;
    }

    static String write(Map<String, Object> map, boolean pretty) {
        try {
            return (pretty ? JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT) : JSON.std).asString(map);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot write JSON of " + map.keySet(), e); // maps of strings, numbers, lists
        }
    }

    boolean has(String name) {
        return map.get(name) != null;
    }

    String string(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null || v instanceof String) return (String) v;
        throw bad(name, v, "a string");
    }

    Boolean bool(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null || v instanceof Boolean) return (Boolean) v;
        throw bad(name, v, "true or false");
    }

    Long integer(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null) return null;
        if (v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger)
            return ((Number) v).longValue();
        if (v instanceof Number && ((Number) v).doubleValue() == Math.rint(((Number) v).doubleValue()))
            return ((Number) v).longValue();
        throw bad(name, v, "an integer");
    }

    Integer int32(String name) throws ContractException {
        Long v = integer(name);
        if (v == null) return null;
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw bad(name, v, "a 32-bit integer");
        return v.intValue();
    }

    List<String> strings(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null) return null;
        if (!(v instanceof List<?>)) throw bad(name, v, "an array of strings");
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            if (!(o instanceof String)) throw bad(name, v, "an array of strings");
            out.add((String) o);
        }
        return Collections.unmodifiableList(out);
    }

    List<Json> objects(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null) return null;
        if (!(v instanceof List<?>)) throw bad(name, v, "an array of objects");
        List<Json> out = new ArrayList<>();
        int i = 0;
        for (Object o : (List<?>) v) {
            if (!(o instanceof Map<?, ?>)) throw bad(name + "[" + i + "]", o, "an object");
            out.add(new Json((Map<?, ?>) o, where + name + "[" + i++ + "]."));
        }
        return out;
    }

    Json object(String name) throws ContractException {
        Object v = map.get(name);
        if (v == null) return null;
        if (!(v instanceof Map<?, ?>)) throw bad(name, v, "an object");
        return new Json((Map<?, ?>) v, where + name + ".");
    }

    private ContractException bad(String name, Object v, String expected) {
        String shown = String.valueOf(v);
        if (shown.length() > 60) shown = shown.substring(0, 60) + "...";
        return new ContractException("field " + where + name + " is '" + shown + "'; expected " + expected);
    }
}
