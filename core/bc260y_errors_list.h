/* bc260y_errors_list.h: the platform error codes of the guide's chapter 6 (+CME ERROR: <n>)
 * as one list, BC_ERRORS(X) calling X(code, class, rest, English, Chinese) for each: the
 * symbol is CTIOT_E<class>_<rest> (BC_ERROR_SYMBOL below spells it), its
 * common head written once so that the Lua binding need not store it twenty times. Symbols
 * are spelled exactly as the guide spells them (INTIALIZED, OVERRRUN are the guide's
 * spelling: users grep logs and Quectel's documents for them). Internal, not installed: the
 * public table bc_errors (bc260y_errors.c) is made from it, and so is the Lua binding's
 * core.errors (lua/core_decode.c), there as packed text with no pointer to relocate. */
#ifndef BC260Y_ERRORS_LIST_H
#define BC260Y_ERRORS_LIST_H

/* clang-format off */
#define BC_ERROR_SYMBOL(class, rest) "CTIOT_E" #class "_" rest
#define BC_ERRORS(X) \
  X(1, B, "OTHER", "other error", "其它错误") \
  X(2, B, "PARAMETER_NUM_ERROR", "wrong number of parameters", "参数数量错误") \
  X(3, B, "PARAMETER_VALUE_ERROR", "wrong parameter value", "参数值错误") \
  X(5, D, "PSK_ERROR", "PSK setting error", "PSK 设置错误") \
  X(8, A, "PARAM_NOT_INTIALIZED", "connection parameters not initialised", "连接参数未初始错误") \
  X(14, B, "DATA_LENGTH_OVERRRUN", "data longer than allowed", "Data 字段长度超过上限") \
  X(16, A, "CONNECT_FAILED_SIMCARD", "connection unavailable, SIM card", "连接不可用,卡原因等") \
  X(17, B, "DATA_LENGTH_NOT_EVEN", "hex data of odd length", "Data 字段长度不是偶数") \
  X(303, E, "OPERATOR_NOT_SUPPORTED", "operation not supported", "该操作不支持") \
  X(801, B, "NO_RECV_DATA", "no received data", "无接收数据") \
  X(950, A, "ENGINE_EXCEPTION", "engine exception", "Engine 异常") \
  X(951, A, "NETWORK_TRAFFIC", "network congested", "连接不可用,网络拥塞") \
  X(952, A, "SIGNAL_LEVEL2", "poor coverage level", "操作失败,覆盖等级差") \
  X(953, A, "ENGINE_REBOOT", "engine exception, reboot needed", "Engine 异常,需 reboot 重启") \
  X(954, A, "NOT_LOGIN", "not logged in", "操作失败,未登录") \
  X(955, A, "LOGIN_PROCESSING", "login in progress", "操作失败,登录中") \
  X(957, A, "CONNECT_USELESS_TEMP", "connection temporarily unavailable", "连接暂时不可用") \
  X(958, A, "OPERATION_FAILED_NOSESSION", "no session", "操作失败,不存在会话") \
  X(959, A, "OPERATION_NOT_PERMITTED", "operation not permitted", "操作不允许") \
  X(960, A, "OPERATION_NO_AUTHSTR", "SIM-ID authentication string not set", "操作失败,SIMID 认证,未设置认证")
/* clang-format on */

#endif
