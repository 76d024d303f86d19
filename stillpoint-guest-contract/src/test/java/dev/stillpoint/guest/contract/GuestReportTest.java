package dev.stillpoint.guest.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestReportTest {
    @Test
    void theWriterWritesTheGoldenFileByteForByteFromWhatTheReaderRead() throws Exception {
        String golden = GoldenReport.text();
        GuestReport r = GuestReport.parse(golden);
        assertThat(r.toJson(true) + "\n").isEqualTo(golden);
        assertThat(r.hooks()).hasSize(4);
        assertThat(r.hooks().get(2).error()).isEqualTo("runuser: not found");
        assertThat(r.hooks().get(0).azureCode()).isEqualTo(300);
        assertThat(r.hooks().get(0).azureError()).isEqualTo("PreScriptExecutionFailed");
        assertThat(r.azure().code()).isEqualTo(306);
        assertThat(r.azure().name()).isEqualTo("InsufficientPermissionforPreScript");
        assertThat(r.failBackup()).contains("continueBackupOnFailure=false");
        assertThat(r.ioFrozenMs()).isEqualTo(655L);
        assertThat(r.ioFrozenBy()).isEqualTo("hook-script");
        assertThat(r.appHeld()).containsExactly(new GuestReport.Held("stillpoint:app:mysql", 702));
        assertThat(r.appHeldMs()).isEqualTo(702L);
        assertThat(r.watchdog().fired()).isTrue();
        assertThat(r.freezeWindowMs()).isEqualTo(812L);
        assertThat(r.thawedByWatchdog()).isTrue();
    }

    @Test
    void theGoldenFileHoldsEveryFieldOfTheRecord() throws Exception {
        Map<String, Object> raw = JSON.std.mapFrom(GoldenReport.text());
        List<String> components = new ArrayList<>();
        for (RecordComponent c : GuestReport.class.getRecordComponents()) components.add(c.getName());
        assertThat(raw.keySet()).containsExactlyElementsOf(components);
    }

    @Test
    void absentFieldsStayAbsentAndUnknownOnesAreIgnored() throws Exception {
        GuestReport r = GuestReport.parse("{\"result\":\"ok\",\"consistency\":\"application\",\"future\":[1,2]}");
        assertThat(r.toMap()).containsOnlyKeys("version", "consistency", "result");
        assertThat(r.applicationConsistent()).isTrue();
        assertThat(GuestReport.parse("{\"result\":\"ok\",\"consistency\":\"application\",\"errors\":[\"x\"]}")
                        .applicationConsistent())
                .isFalse();
        assertThat(GuestReport.parse("{\"result\":\"failed\",\"consistency\":\"application\"}")
                        .applicationConsistent())
                .isFalse();
    }

    @Test
    void aReportWrittenBeforeTheIoWindowAzureNamesAndPolicyStillParses() throws Exception {
        // version-1 report as written before issue 17: none of the new fields
        GuestReport r = GuestReport.parse("{\"version\":1,\"hooks\":[{\"group\":\"azure\",\"name\":\"/p\","
                + "\"phase\":\"freeze\",\"rollback\":false,\"result\":\"failed\",\"exitCode\":1}],"
                + "\"azure\":{\"code\":306,\"file\":\"/p\"},\"freezeWindowMs\":40,\"result\":\"ok\"}");
        assertThat(r.ioFrozenMs()).isNull();
        assertThat(r.ioFrozenBy()).isNull();
        assertThat(r.appHeld()).isNull();
        assertThat(r.appHeldMs()).isNull();
        assertThat(r.failBackup()).isNull();
        assertThat(r.hooks().get(0).azureCode()).isNull();
        assertThat(r.azure().name()).isNull();
        assertThat(r.toMap()).doesNotContainKeys("ioFrozenMs", "ioFrozenBy", "appHeld", "failBackup");
    }

    @Test
    void wrongTypesOtherVersionsAndNonObjectsAreErrorsNamingTheField() {
        assertThatThrownBy(() -> GuestReport.parse("{\"freezeWindowMs\":\"812\"}"))
                .isInstanceOf(ContractException.class)
                .hasMessageContaining("freezeWindowMs")
                .hasMessageContaining("integer");
        assertThatThrownBy(() -> GuestReport.parse("{\"hooks\":[{\"exitCode\":true}]}"))
                .hasMessageContaining("hooks[0].exitCode");
        assertThatThrownBy(() -> GuestReport.parse("{\"version\":2}")).hasMessageContaining("version 2");
        assertThatThrownBy(() -> GuestReport.parse("[1]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> GuestReport.parse("{")).hasMessageContaining("not valid JSON");
    }

    @Test
    void aBuilderKeepsEveryFieldThroughToBuilder() throws Exception {
        GuestReport r = GuestReport.parse(GoldenReport.text());
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.toBuilder().result("ok").build().result()).isEqualTo("ok");
    }
}
