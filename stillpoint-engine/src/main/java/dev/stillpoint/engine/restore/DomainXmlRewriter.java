package dev.stillpoint.engine.restore;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Turns a saved domain XML into one that can be defined beside the original: new name, new
 * UUID, new MAC addresses (locally administered, QEMU's 52:54:00 prefix), each backed-up disk
 * pointing at its restored file (driver type set, {@code <backingStore>} dropped), boot files
 * (kernel, initrd) remapped, and host paths QEMU would share with the original removed (serial
 * log files, explicit agent socket paths).
 */
public final class DomainXmlRewriter {

    private static final SecureRandom RANDOM = new SecureRandom();

    private DomainXmlRewriter() {}

    /** Kernel and initrd paths of a direct-kernel-boot domain (empty when none). */
    public static Map<String, Path> bootFiles(String xml) throws EngineException {
        Document doc = parse(xml);
        Map<String, Path> out = new LinkedHashMap<>();
        for (String tag : List.of("kernel", "initrd")) {
            Element os = first(doc.getDocumentElement(), "os");
            Element e = os == null ? null : first(os, tag);
            if (e != null && !e.getTextContent().isBlank())
                out.put(tag, Path.of(e.getTextContent().strip()));
        }
        return out;
    }

    /**
     * @param disks     target dev to restored disk; disks of the XML not listed are removed
     *                  (cdroms and other non-backed-up devices are kept without media)
     * @param bootFiles "kernel"/"initrd" to their new paths (may be empty)
     */
    public static String rewrite(
            String xml, String newName, Map<String, RestoredDisk> disks, Map<String, Path> bootFiles)
            throws EngineException {
        return rewrite(xml, newName, disks, bootFiles, null);
    }

    /**
     * As {@link #rewrite(String, String, Map, Map)}; file-backed character devices (serial or
     * console {@code type='file'}) get their own file {@code <fileDir>/<newName>-<dev><n>.log}
     * (QEMU cannot open the original's, it is busy) or become {@code pty} when {@code fileDir} is null.
     */
    public static String rewrite(
            String xml, String newName, Map<String, RestoredDisk> disks, Map<String, Path> bootFiles, Path fileDir)
            throws EngineException {
        return rewrite(xml, newName, disks, bootFiles, fileDir, Map.of());
    }

    /**
     * As {@link #rewrite(String, String, Map, Map, Path)}; a disk with an entry in {@code backings}
     * gets its backing chain named explicitly: its qcow2 overlay reads what it lacks from an NBD
     * export over a unix socket (instant recovery; QEMU then never opens the overlay's own backing
     * string):
     * <pre>{@code
     * <backingStore type='network'><format type='raw'/>
     *   <source protocol='nbd' name='vda'><host transport='unix' socket='/dir/export.sock'/></source>
     * </backingStore>
     * }</pre>
     */
    public static String rewrite(
            String xml,
            String newName,
            Map<String, RestoredDisk> disks,
            Map<String, Path> bootFiles,
            Path fileDir,
            Map<String, NbdBacking> backings)
            throws EngineException {
        if (newName == null || !newName.matches("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "domain name '" + newName + "' must be 1-64 characters of letters, digits, '.', '_', '+', '-'");
        }
        Document doc = parse(xml);
        Element root = doc.getDocumentElement();
        if (!"domain".equals(root.getTagName())) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT, "saved XML has root <" + root.getTagName() + ">, expected <domain>");
        }
        setChild(doc, root, "name", newName);
        setChild(doc, root, "uuid", UUID.randomUUID().toString());
        removeAll(root, "metadata");
        Element os = first(root, "os");
        if (os != null) {
            for (Map.Entry<String, Path> e : bootFiles.entrySet()) {
                Element el = first(os, e.getKey());
                if (el != null) el.setTextContent(e.getValue().toString());
            }
        }
        Element devices = first(root, "devices");
        if (devices != null) {
            rewriteDisks(doc, devices, disks, backings);
            for (Element mac : descendants(devices, "mac")) {
                if ("interface".equals(((Element) mac.getParentNode()).getTagName()))
                    mac.setAttribute("address", newMac());
            }
            for (Element log : descendants(devices, "log")) log.getParentNode().removeChild(log);
            rewriteFileCharDevices(devices, newName, fileDir);
            for (Element ch : children(devices, "channel")) {
                Element src = first(ch, "source");
                if ("unix".equals(ch.getAttribute("type")) && src != null) src.removeAttribute("path");
            }
        }
        return serialize(doc);
    }

    private static void rewriteDisks(
            Document doc, Element devices, Map<String, RestoredDisk> disks, Map<String, NbdBacking> backings)
            throws EngineException {
        List<String> seen = new ArrayList<>();
        for (Element disk : children(devices, "disk")) {
            Element target = first(disk, "target");
            String dev = target == null ? null : target.getAttribute("dev");
            RestoredDisk r = dev == null ? null : disks.get(dev);
            if (r == null) {
                if ("disk".equals(disk.getAttribute("device"))
                        || disk.getAttribute("device").isEmpty()) {
                    devices.removeChild(disk); // not backed up: the restored domain must not share it
                } else {
                    Element src = first(disk, "source");
                    if (src != null) disk.removeChild(src); // cdrom/floppy: keep the drive, drop the media
                }
                continue;
            }
            seen.add(dev);
            disk.setAttribute("type", "file");
            removeAll(disk, "backingStore");
            removeAll(disk, "source");
            Element src = doc.createElement("source");
            src.setAttribute("file", r.file().toAbsolutePath().toString());
            disk.insertBefore(src, target);
            Element driver = first(disk, "driver");
            if (driver == null) {
                driver = doc.createElement("driver");
                driver.setAttribute("name", "qemu");
                disk.insertBefore(driver, src);
            }
            driver.setAttribute("type", r.format().driverType());
            NbdBacking b = backings.get(dev);
            if (b != null) disk.insertBefore(backingStore(doc, b), target);
        }
        for (String dev : disks.keySet()) {
            if (!seen.contains(dev)) {
                throw new EngineException(
                        Code.INVALID_ARGUMENT,
                        "restored disk " + dev + " has no <disk><target dev='" + dev + "'/> in the saved domain XML");
            }
        }
    }

    private static Element backingStore(Document doc, NbdBacking b) {
        Element store = doc.createElement("backingStore");
        store.setAttribute("type", "network");
        Element format = doc.createElement("format");
        format.setAttribute("type", "raw");
        store.appendChild(format);
        Element src = doc.createElement("source");
        src.setAttribute("protocol", "nbd");
        src.setAttribute("name", b.exportName());
        Element host = doc.createElement("host");
        host.setAttribute("transport", "unix");
        host.setAttribute("socket", b.socket().toAbsolutePath().toString());
        src.appendChild(host);
        store.appendChild(src);
        return store;
    }

    /**
     * The domain without network interfaces (a boot verification must not meet the production
     * network with the production machine's identity); serial consoles and the agent channel stay.
     */
    public static String withoutInterfaces(String xml) throws EngineException {
        Document doc = parse(xml);
        Element devices = first(doc.getDocumentElement(), "devices");
        if (devices != null) removeAll(devices, "interface");
        return serialize(doc);
    }

    /**
     * The domain with exactly one console a screenshot can be taken of: its graphics devices are
     * replaced by {@code <graphics type='vnc' listen='127.0.0.1' autoport='yes'/>} (loopback only, a
     * free port: the original may hold a fixed one), and a video device is added when it has none
     * or only {@code <model type='none'/>} ({@code vga} on x86, {@code virtio} elsewhere).
     */
    public static String withLoopbackConsole(String xml) throws EngineException {
        Document doc = parse(xml);
        Element devices = first(doc.getDocumentElement(), "devices");
        if (devices == null) {
            devices = doc.createElement("devices");
            doc.getDocumentElement().appendChild(devices);
        }
        removeAll(devices, "graphics");
        Element graphics = doc.createElement("graphics");
        graphics.setAttribute("type", "vnc");
        graphics.setAttribute("port", "-1");
        graphics.setAttribute("autoport", "yes");
        graphics.setAttribute("listen", "127.0.0.1");
        Element listen = doc.createElement("listen");
        listen.setAttribute("type", "address");
        listen.setAttribute("address", "127.0.0.1");
        graphics.appendChild(listen);
        devices.appendChild(graphics);
        List<Element> videos = children(devices, "video");
        if (videos.stream()
                .allMatch(v -> first(v, "model") != null
                        && "none".equals(first(v, "model").getAttribute("type")))) {
            videos.forEach(devices::removeChild); // <model type='none'/>: nothing to take a picture of

            Element os = first(doc.getDocumentElement(), "os");
            Element type = os == null ? null : first(os, "type");
            String arch = type == null ? "" : type.getAttribute("arch");
            Element video = doc.createElement("video");
            Element model = doc.createElement("model");
            model.setAttribute("type", arch.isEmpty() || arch.matches("x86_64|i[3-6]86") ? "vga" : "virtio");
            video.appendChild(model);
            devices.appendChild(video);
        }
        return serialize(doc);
    }

    /** An NBD export over a unix socket that a disk's overlay is backed by. */
    public record NbdBacking(Path socket, String exportName) {
        /** The URI qemu-img writes into the overlay's header ({@code nbd+unix:///vda?socket=/dir/s.sock}). */
        public String uri() {
            return "nbd+unix:///" + exportName + "?socket=" + socket.toAbsolutePath();
        }
    }

    private static void rewriteFileCharDevices(Element devices, String newName, Path fileDir) {
        Map<String, String> moved = new LinkedHashMap<>();
        int n = 0;
        for (String tag : List.of("serial", "console", "parallel", "channel")) {
            for (Element dev : children(devices, tag)) {
                if (!"file".equals(dev.getAttribute("type"))) continue;
                Element src = first(dev, "source");
                String old = src == null ? "" : src.getAttribute("path");
                if (fileDir == null) {
                    dev.setAttribute("type", "pty");
                    if (src != null) dev.removeChild(src);
                    continue;
                }
                String now = moved.get(old);
                if (now == null) {
                    now = fileDir.resolve(newName + "-" + tag + (n++) + ".log")
                            .toAbsolutePath()
                            .toString();
                    moved.put(old, now);
                }
                if (src != null) src.setAttribute("path", now);
            }
        }
    }

    static String newMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return String.format("52:54:00:%02x:%02x:%02x", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
    }

    private static Document parse(String xml) throws EngineException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new EngineException(Code.INVALID_ARGUMENT, "saved domain XML cannot be parsed: " + e.getMessage(), e);
        }
    }

    private static String serialize(Document doc) throws EngineException {
        try {
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(w));
            return w.toString();
        } catch (Exception e) {
            throw new EngineException(Code.INVALID_ARGUMENT, "cannot write domain XML: " + e.getMessage(), e);
        }
    }

    private static void setChild(Document doc, Element parent, String tag, String text) {
        Element e = first(parent, tag);
        if (e == null) {
            e = doc.createElement(tag);
            parent.insertBefore(e, parent.getFirstChild());
        }
        e.setTextContent(text);
    }

    private static void removeAll(Element parent, String tag) {
        for (Element e : children(parent, tag)) parent.removeChild(e);
    }

    static Element first(Element parent, String tag) {
        List<Element> c = children(parent, tag);
        return c.isEmpty() ? null : c.getFirst();
    }

    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) out.add(e);
        }
        return out;
    }

    private static List<Element> descendants(Element parent, String tag) {
        NodeList nl = parent.getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nl.getLength(); i++) out.add((Element) nl.item(i));
        return out;
    }
}
