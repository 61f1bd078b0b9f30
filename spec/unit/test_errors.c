/* test_errors.c: the guide's chapter 6 error table: every code, the guide's spelling of
 * every symbol (typos included), English and Chinese text, and unknown codes. */
#include "bc260y.h"
#include "check.h"

int main(void) {
  static const struct {
    int code;
    const char *name, *zh;
  } guide[] = {
      {1, "CTIOT_EB_OTHER", "其它错误"},
      {2, "CTIOT_EB_PARAMETER_NUM_ERROR", "参数数量错误"},
      {3, "CTIOT_EB_PARAMETER_VALUE_ERROR", "参数值错误"},
      {5, "CTIOT_ED_PSK_ERROR", "PSK 设置错误"},
      {8, "CTIOT_EA_PARAM_NOT_INTIALIZED", "连接参数未初始错误"},
      {14, "CTIOT_EB_DATA_LENGTH_OVERRRUN", "Data 字段长度超过上限"},
      {16, "CTIOT_EA_CONNECT_FAILED_SIMCARD", "连接不可用,卡原因等"},
      {17, "CTIOT_EB_DATA_LENGTH_NOT_EVEN", "Data 字段长度不是偶数"},
      {303, "CTIOT_EE_OPERATOR_NOT_SUPPORTED", "该操作不支持"},
      {801, "CTIOT_EB_NO_RECV_DATA", "无接收数据"},
      {950, "CTIOT_EA_ENGINE_EXCEPTION", "Engine 异常"},
      {951, "CTIOT_EA_NETWORK_TRAFFIC", "连接不可用,网络拥塞"},
      {952, "CTIOT_EA_SIGNAL_LEVEL2", "操作失败,覆盖等级差"},
      {953, "CTIOT_EA_ENGINE_REBOOT", "Engine 异常,需 reboot 重启"},
      {954, "CTIOT_EA_NOT_LOGIN", "操作失败,未登录"},
      {955, "CTIOT_EA_LOGIN_PROCESSING", "操作失败,登录中"},
      {957, "CTIOT_EA_CONNECT_USELESS_TEMP", "连接暂时不可用"},
      {958, "CTIOT_EA_OPERATION_FAILED_NOSESSION", "操作失败,不存在会话"},
      {959, "CTIOT_EA_OPERATION_NOT_PERMITTED", "操作不允许"},
      {960, "CTIOT_EA_OPERATION_NO_AUTHSTR", "操作失败,SIMID 认证,未设置认证"},
  };
  size_t n = sizeof guide / sizeof guide[0];
  CHECK_EQ_INT(bc_errors_len, n);
  for (size_t i = 0; i < n; i++) {
    const bc_error_info *e = bc_error_lookup(guide[i].code);
    CHECK(e != NULL);
    if (!e) continue;
    CHECK_EQ_INT(e->code, guide[i].code);
    CHECK_EQ_STR(e->name, guide[i].name);
    CHECK_EQ_STR(e->zh, guide[i].zh);
    CHECK(e->en && e->en[0] != '\0');
  }
  /* a few English texts users will see */
  CHECK_EQ_STR(bc_error_lookup(17)->en, "hex data of odd length");
  CHECK_EQ_STR(bc_error_lookup(14)->en, "data longer than allowed");
  CHECK_EQ_STR(bc_error_lookup(954)->en, "not logged in");
  /* codes the guide skips, and nonsense */
  CHECK(bc_error_lookup(0) == NULL);
  CHECK(bc_error_lookup(4) == NULL);
  CHECK(bc_error_lookup(956) == NULL);
  CHECK(bc_error_lookup(-1) == NULL);
  CHECK(bc_error_lookup(100000) == NULL);
  /* codes are unique (a lookup must not depend on table order) */
  for (size_t i = 0; i < bc_errors_len; i++)
    for (size_t j = i + 1; j < bc_errors_len; j++) CHECK(bc_errors[i].code != bc_errors[j].code);
  return CHECK_DONE();
}
