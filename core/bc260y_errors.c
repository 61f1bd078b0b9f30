/* bc260y_errors.c: the platform error codes of the guide's chapter 6 (+CME ERROR: <n>),
 * symbols spelled exactly as the guide spells them (INTIALIZED, OVERRRUN are the guide's
 * spelling: users grep logs and Quectel's documents for them), English and Chinese text. */
#include "bc260y.h"

const bc_error_info bc_errors[] = {
    {1, "CTIOT_EB_OTHER", "other error", "其它错误"},
    {2, "CTIOT_EB_PARAMETER_NUM_ERROR", "wrong number of parameters", "参数数量错误"},
    {3, "CTIOT_EB_PARAMETER_VALUE_ERROR", "wrong parameter value", "参数值错误"},
    {5, "CTIOT_ED_PSK_ERROR", "PSK setting error", "PSK 设置错误"},
    {8, "CTIOT_EA_PARAM_NOT_INTIALIZED", "connection parameters not initialised",
     "连接参数未初始错误"},
    {14, "CTIOT_EB_DATA_LENGTH_OVERRRUN", "data longer than allowed", "Data 字段长度超过上限"},
    {16, "CTIOT_EA_CONNECT_FAILED_SIMCARD", "connection unavailable, SIM card",
     "连接不可用,卡原因等"},
    {17, "CTIOT_EB_DATA_LENGTH_NOT_EVEN", "hex data of odd length", "Data 字段长度不是偶数"},
    {303, "CTIOT_EE_OPERATOR_NOT_SUPPORTED", "operation not supported", "该操作不支持"},
    {801, "CTIOT_EB_NO_RECV_DATA", "no received data", "无接收数据"},
    {950, "CTIOT_EA_ENGINE_EXCEPTION", "engine exception", "Engine 异常"},
    {951, "CTIOT_EA_NETWORK_TRAFFIC", "network congested", "连接不可用,网络拥塞"},
    {952, "CTIOT_EA_SIGNAL_LEVEL2", "poor coverage level", "操作失败,覆盖等级差"},
    {953, "CTIOT_EA_ENGINE_REBOOT", "engine exception, reboot needed",
     "Engine 异常,需 reboot 重启"},
    {954, "CTIOT_EA_NOT_LOGIN", "not logged in", "操作失败,未登录"},
    {955, "CTIOT_EA_LOGIN_PROCESSING", "login in progress", "操作失败,登录中"},
    {957, "CTIOT_EA_CONNECT_USELESS_TEMP", "connection temporarily unavailable",
     "连接暂时不可用"},
    {958, "CTIOT_EA_OPERATION_FAILED_NOSESSION", "no session", "操作失败,不存在会话"},
    {959, "CTIOT_EA_OPERATION_NOT_PERMITTED", "operation not permitted", "操作不允许"},
    {960, "CTIOT_EA_OPERATION_NO_AUTHSTR", "SIM-ID authentication string not set",
     "操作失败,SIMID 认证,未设置认证"},
};
const size_t bc_errors_len = sizeof bc_errors / sizeof bc_errors[0];

const bc_error_info *bc_error_lookup(int code) {
  for (size_t i = 0; i < bc_errors_len; i++)
    if (bc_errors[i].code == code) return &bc_errors[i];
  return NULL;
}
